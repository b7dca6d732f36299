import { describePeaks } from './run-phases.ts';
import { formatDuration } from '../scenarios/duration.ts';
import type { ReportContext, Reporter } from './reporter.ts';
import type { RunSummary } from './run-collector.ts';
import { incompleteReason, thresholdResultsOf, verdictOf, type Verdict } from './verdict.ts';

/** How each verdict reads in a job summary; a forgotten verdict is a compile error. */
export const verdictMarks: Record<Verdict, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  incomplete: '⚠️ incomplete',
};

/** Pipes and newlines would break a Markdown table cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const n = (value: number): string => value.toLocaleString('en');
const t = (ms: number | null, restored: boolean): string => (ms === null ? (restored ? 'never' : '–') : formatDuration(ms));

/**
 * A short Markdown summary for a CI job page (`$GITHUB_STEP_SUMMARY`): the
 * verdict, the headline figures and the thresholds. The charts are in
 * report.html.
 */
export function renderMarkdown(summary: RunSummary, context: ReportContext = { notes: [] }): string {
  const verdict = verdictOf(summary);
  const restored = summary.restoredAtMs !== null;
  const r = summary.recovery;
  const causes = Object.entries(summary.failures.byCause)
    .sort((a, b) => b[1] - a[1])
    .map(([cause, count]) => `${cause} ${n(count)}`)
    .join(', ');
  const lines = [
    `### aftershock: ${cell(summary.scenario)}: ${verdictMarks[verdict]}`,
    '',
    ...[incompleteReason(summary), ...context.notes].filter((x): x is string => x !== null).map((note) => `> ${note}`),
    '',
    '| | |',
    '| --- | --- |',
    `| run | ${n(summary.devices)} devices, seed \`${cell(JSON.stringify(summary.seed))}\`, time scale ${summary.timeScale}, outcome ${summary.outcome} |`,
    `| back after restore | t50 ${t(r.t50, restored)} · t90 ${t(r.t90, restored)} · t99 ${t(r.t99, restored)} · t100 ${t(r.t100, restored)} |`,
    `| peak attempts per second | ${describePeaks(summary.phases, n, formatDuration)} (${n(summary.attempts.total)} attempts in all) |`,
    `| failed attempts | ${n(summary.failures.total)}${causes ? ` (${cell(causes)})` : ''} |`,
    `| never came back | ${n(summary.neverReturned.count)} |`,
    '',
    '| threshold | condition | value | result |',
    '| --- | --- | --- | --- |',
    ...thresholdResultsOf(summary).map(
      (res) => `| \`${res.metric}\`${res.source === 'default' ? ' (default)' : ''} | \`${cell(res.condition)}\` | ${cell(res.shown)} | ${res.passed ? '✅ pass' : '❌ fail'} |`,
    ),
    '',
    context.runDir ? `Charts: \`${context.runDir}/report.html\` (self-contained; open it in a browser).` : 'Charts: `report.html` in the run folder.',
  ];
  return lines.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}

export const markdownReporter: Reporter = { fileName: 'summary.md', render: renderMarkdown };
