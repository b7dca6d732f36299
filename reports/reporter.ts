import type { RunSummary } from './run-collector.ts';

/** What a report knows beyond the summary. */
export interface ReportContext {
  /** Things a reader must know about how the report was made (e.g. a cut-off last line of events). */
  notes: string[];
  /** The run folder, named in the reports. */
  runDir?: string;
}

/**
 * One output format of a run's report. `render` is pure (same summary and
 * context, same text); writing files is the caller's job, so formats are
 * tested without a disk.
 */
export interface Reporter {
  /** The file it is written to in the run folder. */
  readonly fileName: string;
  render(summary: RunSummary, context: ReportContext): string;
}
