import type { RunSummary } from '../run-collector.ts';
import { failsGate, formatChange, type ChangeStatus, type MetricChange } from './metric-changes.ts';

/** How each status reads in the table; a forgotten status is a compile error. */
export const statusLabels: Record<ChangeStatus, string> = {
  regressed: '✗ REGRESSED',
  missing: '✗ MISSING',
  worse: '~ worse, within tolerance',
  unchanged: '= unchanged',
  better: '✓ better',
  new: '– not in the baseline',
};

/** The gate's verdict as a terminal table: metric, baseline, current, change, status. */
export function formatGateTable(changes: readonly MetricChange[]): string {
  const header = ['metric', 'baseline', 'current', 'change', ''];
  const rows = changes.map((c) => [c.metric, c.baselineShown, c.currentShown, formatChange(c.changePct), statusLabels[c.status]]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => '  ' + cells.map((cell, i) => (i === 1 || i === 2 || i === 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Differences that make the runs hard to compare, said up front (they do not fail the gate). */
export function comparabilityNotes(baseline: RunSummary, current: RunSummary): string[] {
  const notes: string[] = [];
  const differs = (what: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) notes.push(`${what} differs: baseline ${JSON.stringify(a)}, current ${JSON.stringify(b)}`);
  };
  for (const [which, summary] of [['baseline', baseline], ['current', current]] as const) {
    if (summary.upgradedFrom !== undefined) notes.push(`${which} is a schema-${summary.upgradedFrom} summary: its peak covered the whole run, so the recovery-phase peak is unknown; rebuild it with \`aftershock report RUN_DIR\``);
  }
  differs('scenario', baseline.scenario, current.scenario);
  differs('devices', baseline.devices, current.devices);
  differs('time scale', baseline.timeScale, current.timeScale);
  differs('seed', baseline.seed, current.seed);
  return notes;
}

export function gateFailed(changes: readonly MetricChange[]): boolean {
  return changes.some((c) => failsGate[c.status]);
}
