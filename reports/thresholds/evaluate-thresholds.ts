import type { RunSummary } from '../run-collector.ts';
import { formatMetricValue, metrics } from './metric-registry.ts';
import { operators, parseCondition, type Threshold } from './threshold.ts';

/** The outcome of one threshold against one run. */
export interface ThresholdResult extends Threshold {
  passed: boolean;
  /** The metric's value; null when the run did not measure it or it never happened (see `shown`). */
  value: number | null;
  /** The value for people: "6m30s", "never", "not measured". */
  shown: string;
  /** `scenario`: declared by the scenario; `default`: the rule every run has (every device comes back). */
  source: 'scenario' | 'default';
}

/** Every run is held to this unless its scenario sets its own `devices.never_returned`. */
export const defaultThresholds: readonly Threshold[] = [parseCondition('devices.never_returned', '==0') as Threshold];

/**
 * A run with integrity checks is also held to "nothing lost, everything
 * converged" unless its scenario says otherwise: the incident's promise.
 */
export const integrityDefaultThresholds: readonly Threshold[] = [
  parseCondition('integrity.assignments_lost', '==0') as Threshold,
  parseCondition('integrity.devices_not_converged', '==0') as Threshold,
];

/**
 * Evaluates thresholds against a summary: a pure function of the two. A
 * metric the run did not measure fails its threshold (a gate must not pass on
 * missing data); a recovery percentile that never happened counts as
 * infinitely late.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], summary: RunSummary): ThresholdResult[] {
  const declared = new Set(thresholds.map((t) => t.metric));
  const all = [
    ...thresholds.map((t) => ({ threshold: t, source: 'scenario' as const })),
    ...[...defaultThresholds, ...(summary.integrity ? integrityDefaultThresholds : [])]
      .filter((t) => !declared.has(t.metric))
      .map((t) => ({ threshold: t, source: 'default' as const })),
  ];
  return all.map(({ threshold, source }) => {
    const raw = metrics[threshold.metric].value(summary);
    const passed = raw !== null && operators[threshold.operator](raw, threshold.limit);
    return {
      metric: threshold.metric,
      condition: threshold.condition,
      operator: threshold.operator,
      limit: threshold.limit,
      passed,
      value: raw === null || !Number.isFinite(raw) ? null : raw,
      shown: formatMetricValue(threshold.metric, raw),
      source,
    };
  });
}

/** "recovery.t99 is 7m12s, limit <6m": the line a failing JUnit case, the console and the report show. */
export function describeResult(result: ThresholdResult): string {
  return `${result.metric} is ${result.shown}, limit ${result.condition}${result.passed ? '' : result.shown === 'not measured' ? ' (the run did not measure it)' : ''}`;
}
