import { isMetricName, metricNames, metrics, units, type MetricName } from './metric-registry.ts';

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** One entry per operator: forgetting one is a compile error. */
export const operators: Record<ThresholdOperator, (value: number, limit: number) => boolean> = {
  '<': (v, l) => v < l,
  '<=': (v, l) => v <= l,
  '>': (v, l) => v > l,
  '>=': (v, l) => v >= l,
  '==': (v, l) => v === l,
  '!=': (v, l) => v !== l,
};

/** A parsed threshold condition: `recovery.t99` `<` 360000 (from `'<6m'`). */
export interface Threshold {
  metric: MetricName;
  /** The condition as the user wrote it, e.g. "<6m". */
  condition: string;
  operator: ThresholdOperator;
  /** In the metric's unit: scenario ms for durations, a plain number otherwise. */
  limit: number;
}

/** A problem with one entry of a scenario's `thresholds`, with its path below `thresholds`. */
export interface ThresholdProblem {
  path: (string | number)[];
  message: string;
}

/** Thresholds as a scenario declares them: metric name to conditions. */
export type ThresholdsInput = Record<string, string[]>;

/** Parses one condition of `metric`; a string is the problem. */
export function parseCondition(metric: MetricName, condition: string): Threshold | string {
  const unit = units[metrics[metric].unit];
  const match = /^\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/.exec(condition);
  if (!match) {
    return `"${condition}" is not a condition: start with one of ${Object.keys(operators).join(' ')} followed by ${unit.hint} (e.g. '${exampleCondition(metric)}')`;
  }
  const operator = match[1] as ThresholdOperator;
  const limit = unit.parseLimit(match[2]);
  if (limit === undefined) return `"${match[2]}" in "${condition}" is not a limit for ${metric}: write ${unit.hint}`;
  return { metric, condition: condition.trim(), operator, limit };
}

function exampleCondition(metric: MetricName): string {
  return metrics[metric].unit === 'duration' ? '<6m' : '<=800';
}

/**
 * Parses a scenario's thresholds. Returns every problem at once (each with
 * its path), so a user fixes them in one go; an unknown metric lists the
 * valid names.
 */
export function parseThresholds(input: ThresholdsInput): { thresholds: Threshold[]; problems: ThresholdProblem[] } {
  const thresholds: Threshold[] = [];
  const problems: ThresholdProblem[] = [];
  for (const [metric, conditions] of Object.entries(input)) {
    if (!isMetricName(metric)) {
      problems.push({ path: [metric], message: `unknown metric "${metric}"; valid metrics: ${metricNames.join(', ')}` });
      continue;
    }
    if (conditions.length === 0) {
      problems.push({ path: [metric], message: `needs at least one condition, such as '${exampleCondition(metric)}'` });
      continue;
    }
    conditions.forEach((condition, i) => {
      const parsed = parseCondition(metric, condition);
      if (typeof parsed === 'string') problems.push({ path: [metric, i], message: parsed });
      else thresholds.push(parsed);
    });
  }
  return { thresholds, problems };
}
