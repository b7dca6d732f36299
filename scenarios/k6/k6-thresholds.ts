import { k6Metrics } from '../../reports/k6/k6-metric-names.ts';
import type { MetricName } from '../../reports/thresholds/metric-registry.ts';
import { defaultThresholds } from '../../reports/thresholds/evaluate-thresholds.ts';
import type { Threshold, ThresholdOperator } from '../../reports/thresholds/threshold.ts';

/** A scenario threshold k6 cannot evaluate, and why; `aftershock report --from-k6` still does. */
export interface UnmappedThreshold {
  metric: MetricName;
  condition: string;
  reason: string;
}

/** Where each scenario metric lives among the script's k6 metrics, or why it cannot. */
type Mapping = { metric: string; aggregation: string } | { reason: string };

const notInK6 = {
  restore: 'needs the moment the backend was restored, which only the chaos events know',
  peak: 'k6 thresholds have no peak-per-second aggregation',
  backend: 'the backend is sampled by `aftershock chaos play`, not by k6',
  harness: 'a self-check of the harness computed from the planned waits',
  integrity: 'the assignment ledger, the content origin and the API load run in `aftershock run` only',
};

/** One entry per scenario metric: forgetting one is a compile error. */
const mappings: Record<MetricName, Mapping> = {
  'recovery.t50': { reason: notInK6.restore },
  'recovery.t90': { reason: notInK6.restore },
  'recovery.t99': { reason: notInK6.restore },
  'recovery.t100': { reason: notInK6.restore },
  'attempts.peak_per_s': { reason: notInK6.peak },
  'attempts.boot_peak_per_s': { reason: notInK6.peak },
  'attempts.outage_peak_per_s': { reason: notInK6.peak },
  'attempts.recovery': { reason: notInK6.restore },
  'attempts.total': { metric: k6Metrics.attempts, aggregation: 'count' },
  'failures.total': { metric: k6Metrics.failures, aggregation: 'count' },
  'lost.total': { metric: k6Metrics.lost, aggregation: 'count' },
  'devices.never_returned': { metric: k6Metrics.neverReturned, aggregation: 'count' },
  'devices.online_at_end': { metric: k6Metrics.onlineAtEnd, aggregation: 'count' },
  'handshake.p50': { metric: k6Metrics.handshake, aggregation: 'p(50)' },
  'handshake.p90': { metric: k6Metrics.handshake, aggregation: 'p(90)' },
  'handshake.p99': { metric: k6Metrics.handshake, aggregation: 'p(99)' },
  'handshake.max': { metric: k6Metrics.handshake, aggregation: 'max' },
  'backend.peak_cpu_percent': { reason: notInK6.backend },
  'backend.peak_rss_mb': { reason: notInK6.backend },
  'backend.peak_event_loop_delay_ms': { reason: notInK6.backend },
  'backend.unreachable_samples': { reason: notInK6.backend },
  'verification.early_attempts': { reason: notInK6.harness },
  'integrity.assignments_lost': { reason: notInK6.integrity },
  'integrity.devices_not_converged': { reason: notInK6.integrity },
  'integrity.time_to_converge': { reason: notInK6.integrity },
  'integrity.content_on_screen_pct': { reason: notInK6.integrity },
  'integrity.api_p99_during': { reason: notInK6.integrity },
};

/** k6 writes the same operators; aftershock's `==` is exact, so it becomes k6's `===`. */
const k6Operators: Record<ThresholdOperator, string> = { '<': '<', '<=': '<=', '>': '>', '>=': '>=', '==': '===', '!=': '!=' };

/**
 * The scenario's thresholds as k6 thresholds (`{ aftershock_attempts:
 * ['count<800'] }`), plus the rule every run is held to
 * (`devices.never_returned ==0`) unless the scenario sets that metric.
 * Limits keep their units: counts as numbers, handshake latency in real ms
 * (the script's trend is in real ms too). Pure.
 */
export function k6ThresholdsFor(thresholds: readonly Threshold[]): { thresholds: Record<string, string[]>; unmapped: UnmappedThreshold[] } {
  const declared = new Set(thresholds.map((t) => t.metric));
  const all = [...thresholds, ...defaultThresholds.filter((t) => !declared.has(t.metric))];
  const result: Record<string, string[]> = {};
  const unmapped: UnmappedThreshold[] = [];
  for (const threshold of all) {
    const mapping = mappings[threshold.metric];
    if ('reason' in mapping) {
      unmapped.push({ metric: threshold.metric, condition: threshold.condition, reason: mapping.reason });
      continue;
    }
    (result[mapping.metric] ??= []).push(`${mapping.aggregation}${k6Operators[threshold.operator]}${+threshold.limit.toFixed(3)}`);
  }
  return { thresholds: result, unmapped };
}
