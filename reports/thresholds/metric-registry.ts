import { formatDuration, parseDuration } from '../../scenarios/duration.ts';
import type { RunSummary } from '../run-collector.ts';

/** How a metric's values and limits are written and shown. */
export type MetricUnit = 'duration' | 'count' | 'per-second' | 'real-ms' | 'percent' | 'megabytes';

interface UnitDefinition {
  /** Parses the limit of a condition (the text after the operator); undefined when it is not one. */
  parseLimit(text: string): number | undefined;
  format(value: number): string;
  /** What a limit looks like, for error messages. */
  hint: string;
}

const plainNumber = (text: string): number | undefined => {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
};
const round = (value: number, digits: number): string => String(+value.toFixed(digits));

/** One entry per unit: forgetting one is a compile error. */
export const units: Record<MetricUnit, UnitDefinition> = {
  // Scenario time. A unit is required: "<6" could mean 6 ms or 6 minutes.
  duration: { parseLimit: (text) => parseDuration(text), format: formatDuration, hint: 'a duration with a unit, such as "6m", "90s" or "500ms"' },
  count: { parseLimit: plainNumber, format: (v) => round(v, 2), hint: 'a number, such as "0" or "800"' },
  'per-second': { parseLimit: (text) => plainNumber(text.replace(/\/s$/, '')), format: (v) => `${round(v, 2)}/s`, hint: 'a rate per scenario second, such as "800" or "800/s"' },
  // Physical latency, not scaled: milliseconds as a number, or a duration.
  'real-ms': { parseLimit: (text) => plainNumber(text) ?? parseDuration(text), format: (v) => `${round(v, 1)} ms`, hint: 'milliseconds, such as "250" or "250ms"' },
  percent: { parseLimit: (text) => plainNumber(text.replace(/%$/, '')), format: (v) => `${round(v, 1)}%`, hint: 'a percentage, such as "90" or "90%"' },
  megabytes: { parseLimit: (text) => plainNumber(text.replace(/\s*MB$/i, '')), format: (v) => `${round(v, 1)} MB`, hint: 'megabytes, such as "512" or "512MB"' },
};

/**
 * A metric's value in a summary: a number, `Infinity` when the event never
 * happened (a recovery percentile that falls among devices that never came
 * back), or null when the run did not measure it (no fault, no backend
 * metrics).
 */
export type MetricValue = number | null;

export interface MetricDefinition {
  unit: MetricUnit;
  description: string;
  /** Comparisons take lower as better unless this is set. */
  higherIsBetter?: true;
  value(summary: RunSummary): MetricValue;
}

/** Recovery percentile: null without a restore, never (Infinity) when it falls among devices that did not return. */
const recovery =
  (key: keyof RunSummary['recovery']) =>
  (s: RunSummary): MetricValue =>
    s.restoredAtMs === null ? null : (s.recovery[key] ?? Number.POSITIVE_INFINITY);

/**
 * Every metric a threshold or the gate can name, k6-style
 * (`'recovery.t99': ['<6m']`), and where it lives in the summary.
 */
export const metrics = {
  'recovery.t50': { unit: 'duration', description: 'time from the restore until half the devices were back (scenario time)', value: recovery('t50') },
  'recovery.t90': { unit: 'duration', description: 'time from the restore until 90% of the devices were back', value: recovery('t90') },
  'recovery.t99': { unit: 'duration', description: 'time from the restore until 99% of the devices were back', value: recovery('t99') },
  'recovery.t100': { unit: 'duration', description: 'time from the restore until every device was back', value: recovery('t100') },
  'attempts.peak_per_s': { unit: 'per-second', description: 'recovery phase (restore until the last device is back): connection attempts per second over its busiest 5 s', value: (s) => s.attempts.peakPerSecond },
  'attempts.boot_peak_per_s': { unit: 'per-second', description: 'boot phase (before the fault): connection attempts per second over its busiest 5 s', value: (s) => s.phases.boot?.peakPerSecond ?? null },
  'attempts.outage_peak_per_s': { unit: 'per-second', description: 'outage phase (fault to restore): connection attempts per second over its busiest 5 s', value: (s) => s.phases.outage?.peakPerSecond ?? null },
  'attempts.recovery': { unit: 'count', description: 'recovery phase: connection attempts from the restore until the last device was back', value: (s) => s.phases.recovery?.attempts ?? null },
  'attempts.total': { unit: 'count', description: 'connection attempts in the whole run', value: (s) => s.attempts.total },
  'failures.total': { unit: 'count', description: 'failed connection attempts, every cause', value: (s) => s.failures.total },
  'lost.total': { unit: 'count', description: 'connections lost by online devices', value: (s) => s.lost.total },
  'devices.never_returned': { unit: 'count', description: 'devices offline at the end of the run', value: (s) => s.neverReturned.count },
  'devices.online_at_end': { unit: 'count', description: 'devices online at the end of the run', higherIsBetter: true, value: (s) => s.devicesOnlineAtEnd },
  'handshake.p50': { unit: 'real-ms', description: 'median handshake latency (real ms)', value: (s) => (s.handshakeMs.count ? s.handshakeMs.p50 : null) },
  'handshake.p90': { unit: 'real-ms', description: '90th percentile handshake latency (real ms)', value: (s) => (s.handshakeMs.count ? s.handshakeMs.p90 : null) },
  'handshake.p99': { unit: 'real-ms', description: '99th percentile handshake latency (real ms)', value: (s) => (s.handshakeMs.count ? s.handshakeMs.p99 : null) },
  'handshake.max': { unit: 'real-ms', description: 'slowest handshake (real ms)', value: (s) => (s.handshakeMs.count ? s.handshakeMs.max : null) },
  'backend.peak_cpu_percent': { unit: 'percent', description: "backend's peak CPU, share of one core", value: (s) => s.backend.peakCpuPercent },
  'backend.peak_rss_mb': { unit: 'megabytes', description: "backend's peak resident memory", value: (s) => s.backend.peakRssMB },
  'backend.peak_event_loop_delay_ms': { unit: 'real-ms', description: "backend's worst event-loop delay", value: (s) => s.backend.peakEventLoopDelayMs },
  'backend.unreachable_samples': { unit: 'count', description: 'metric polls the backend did not answer in time', value: (s) => s.backend.unreachableSamples },
  'integrity.assignments_lost': {
    unit: 'count',
    description: 'writes the API acknowledged that the backend no longer had after recovery (scenario integrity)',
    value: (s) => s.integrity?.assignments.lost ?? null,
  },
  'integrity.devices_not_converged': {
    unit: 'count',
    description: "online devices not reporting the backend's current content after recovery",
    value: (s) => (s.integrity?.assignments.lost == null ? null : s.integrity.convergence.notConverged.count),
  },
  'integrity.time_to_converge': {
    unit: 'duration',
    description: 'time from the restore until every online device reported its final content',
    value: (s) => (s.integrity === undefined || s.restoredAtMs === null ? null : (s.integrity.convergence.timeToConvergeMs ?? Number.POSITIVE_INFINITY)),
  },
  'integrity.content_on_screen_pct': {
    unit: 'percent',
    description: 'share of device-time with content on screen while a fault was in effect',
    higherIsBetter: true,
    value: (s) => (s.integrity?.contentOnScreen.shareDuringOutage == null ? null : s.integrity.contentOnScreen.shareDuringOutage * 100),
  },
  'integrity.api_p99_during': {
    unit: 'real-ms',
    description: 'p99 latency of GET /devices/:id during the reconnect storm (real ms)',
    value: (s) => {
      const during = s.integrity?.api.during;
      // Nothing answered during the storm: infinitely slow, not unmeasured.
      return during && 'p99Ms' in during ? (during.p99Ms ?? Number.POSITIVE_INFINITY) : null;
    },
  },
  'verification.early_attempts': { unit: 'count', description: "attempts made before the policy's wait had passed (a harness self-check)", value: (s) => s.verification.earlyAttempts },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof metrics;
export const metricNames = Object.keys(metrics) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(metrics, name);
}

/** A metric value for people: "6m30s", "never", "not measured". */
export function formatMetricValue(metric: MetricName, value: MetricValue): string {
  if (value === null) return 'not measured';
  if (value === Number.POSITIVE_INFINITY) return 'never';
  return units[metrics[metric].unit].format(value);
}
