import type { RunSummary } from '../run-collector.ts';
import { formatMetricValue, metrics, type MetricDefinition, type MetricName, type MetricValue } from '../thresholds/metric-registry.ts';

/** The metrics the regression gate compares by default: recovery, load peak, and what went wrong. Lower is better for each. */
export const gateMetrics = [
  'recovery.t50',
  'recovery.t90',
  'recovery.t99',
  'recovery.t100',
  'attempts.peak_per_s',
  'failures.total',
  'devices.never_returned',
] as const satisfies readonly MetricName[];

/**
 * How a metric moved from the baseline to the current run (lower is
 * better): `regressed` beyond the tolerance, `worse` within it, `unchanged`,
 * `better`, `missing` (the current run did not measure what the baseline
 * did, which the gate treats as a regression: it cannot vouch for it), or
 * `new` (the baseline did not measure it: nothing to compare with).
 */
export type ChangeStatus = 'regressed' | 'worse' | 'unchanged' | 'better' | 'missing' | 'new';

/** Whether each status fails the gate; a forgotten status is a compile error. */
export const failsGate: Record<ChangeStatus, boolean> = { regressed: true, missing: true, worse: false, unchanged: false, better: false, new: false };

export interface MetricChange {
  metric: MetricName;
  baseline: MetricValue;
  current: MetricValue;
  baselineShown: string;
  currentShown: string;
  /** (current - baseline) / baseline in %; ±Infinity from 0 or to never; null when neither was measured. */
  changePct: number | null;
  status: ChangeStatus;
}

/** Relative change in %, with the edge cases spelled out. */
export function changePercent(baseline: number, current: number): number {
  if (baseline === current) return 0; // also both Infinity (never, and never)
  if (baseline === 0 || !Number.isFinite(baseline) || !Number.isFinite(current)) return current > baseline ? Infinity : -Infinity;
  return ((current - baseline) / baseline) * 100;
}

/**
 * Compares metrics of two summaries (lower is better, unless the metric says
 * otherwise). Pure: the gate and
 * the comparison page both use it. `tolerancePct` is how much worse a
 * metric may get before it counts as a regression (10: 10% worse is still
 * fine).
 */
export function compareMetrics(baseline: RunSummary, current: RunSummary, options: { tolerancePct: number; metrics?: readonly MetricName[] }): MetricChange[] {
  return (options.metrics ?? gateMetrics).map((metric) => {
    const b = metrics[metric].value(baseline);
    const c = metrics[metric].value(current);
    const shown = { baselineShown: formatMetricValue(metric, b), currentShown: formatMetricValue(metric, c) };
    if (b === null || c === null) {
      const status: ChangeStatus = b === null && c === null ? 'unchanged' : c === null ? 'missing' : 'new';
      return { metric, baseline: b, current: c, ...shown, changePct: null, status };
    }
    const changePct = changePercent(b, c);
    // How much worse, in %: a rise, or a fall for the few metrics where higher is better.
    const definition: MetricDefinition = metrics[metric];
    const worsePct = definition.higherIsBetter ? -changePct : changePct;
    const status: ChangeStatus = worsePct > options.tolerancePct ? 'regressed' : worsePct > 0 ? 'worse' : worsePct < 0 ? 'better' : 'unchanged';
    return { metric, baseline: b, current: c, ...shown, changePct, status };
  });
}

/** A change for people: "+12.5%", "-3%", "0%", "+∞" (from 0, or to never), "–". */
export function formatChange(changePct: number | null): string {
  if (changePct === null) return '–';
  if (changePct === Infinity) return '+∞';
  if (changePct === -Infinity) return '-∞';
  const rounded = Math.abs(changePct) >= 10 ? Math.round(changePct) : +changePct.toFixed(1);
  return `${rounded > 0 ? '+' : ''}${rounded}%`;
}

/** "10%" -> 10. Undefined when the text is not a percentage. */
export function parseTolerance(text: string): number | undefined {
  const match = /^\s*(\d+(\.\d+)?)\s*%\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}
