import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { htmlReporter } from './html/html-report.ts';
import { junitReporter } from './junit-report.ts';
import { markdownReporter } from './markdown-report.ts';
import type { ReportContext, Reporter } from './reporter.ts';
import type { RunSummary } from './run-collector.ts';

export type ReportFormat = 'html' | 'junit' | 'markdown';

/** Every report of a run, by format; a format without a reporter is a compile error. */
export const reporters: Record<ReportFormat, Reporter> = {
  html: htmlReporter,
  junit: junitReporter,
  markdown: markdownReporter,
};

export interface WrittenReports {
  /** Absolute paths, by format. */
  files: Record<ReportFormat, string>;
  /** The job summary file the Markdown was appended to, when `GITHUB_STEP_SUMMARY` is set. */
  stepSummary?: string;
}

/**
 * Writes every report of a run into its folder (report.html, junit.xml,
 * summary.md) and appends the Markdown to `$GITHUB_STEP_SUMMARY` when it is
 * set (GitHub Actions shows it on the job's page). Reports are derived from
 * the summary, so rewriting them is always safe.
 */
export function writeRunReports(runDir: string, summary: RunSummary, options: { notes?: string[]; env?: NodeJS.ProcessEnv } = {}): WrittenReports {
  const context: ReportContext = { notes: options.notes ?? [], runDir };
  const files = {} as Record<ReportFormat, string>;
  for (const [format, reporter] of Object.entries(reporters) as [ReportFormat, Reporter][]) {
    const path = join(runDir, reporter.fileName);
    writeFileSync(path, reporter.render(summary, context));
    files[format] = path;
  }
  const stepSummary = (options.env ?? process.env).GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    appendFileSync(stepSummary, reporters.markdown.render(summary, context) + '\n');
    return { files, stepSummary };
  }
  return { files };
}
