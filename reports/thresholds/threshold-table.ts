import type { ThresholdResult } from './evaluate-thresholds.ts';

/** Thresholds as a terminal table: mark, metric, condition, value. */
export function formatThresholdTable(results: readonly ThresholdResult[]): string {
  if (results.length === 0) return '  thresholds  none';
  const metricWidth = Math.max(...results.map((r) => r.metric.length));
  const conditionWidth = Math.max(...results.map((r) => r.condition.length));
  const rows = results.map(
    (r) =>
      `  ${r.passed ? '✓ pass' : '✗ FAIL'}  ${r.metric.padEnd(metricWidth)}  ${r.condition.padEnd(conditionWidth)}  ${r.shown}${r.source === 'default' ? '  (default)' : ''}`,
  );
  return ['  thresholds', ...rows].join('\n');
}
