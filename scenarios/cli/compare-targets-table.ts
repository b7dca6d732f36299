import { compareMetrics, formatChange, type MetricChange } from '../../reports/gate/metric-changes.ts';
import type { RunSummary } from '../../reports/run-collector.ts';
import { formatMetricValue, metrics, type MetricName } from '../../reports/thresholds/metric-registry.ts';
import type { Scenario } from '../scenario-schema.ts';

/** The metrics a size comparison shows, recovery first. */
export const sizeComparisonMetrics = [
  'recovery.t50',
  'recovery.t90',
  'recovery.t99',
  'recovery.t100',
  'failures.total',
  'devices.never_returned',
  'attempts.peak_per_s',
  'handshake.p50',
  'handshake.p99',
  'backend.peak_cpu_percent',
  'backend.peak_event_loop_delay_ms',
  'backend.unreachable_samples',
] as const satisfies readonly MetricName[];

export interface ComparedTarget {
  /** "A" or "B". */
  key: 'A' | 'B';
  target: Scenario['target'];
  summary: RunSummary;
  runDir: string;
}

/** "cpus 0.5, memory 512 MB", "no limits" or the target's kind. */
export function describeSize(target: Scenario['target']): string {
  if (target.kind !== 'container') return target.kind;
  const parts = [target.cpus === undefined ? '' : `cpus ${target.cpus}`, target.memory === undefined ? '' : `memory ${target.memory} MB`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no limits';
}

/** Which of two targets is the smaller size: fewer CPUs, then less memory; undefined when neither is. */
export function smallerOf(a: Scenario['target'], b: Scenario['target']): 'A' | 'B' | undefined {
  if (a.kind !== 'container' || b.kind !== 'container') return undefined;
  const cpus = (t: typeof a): number => t.cpus ?? Number.POSITIVE_INFINITY;
  const memory = (t: typeof a): number => t.memory ?? Number.POSITIVE_INFINITY;
  if (cpus(a) !== cpus(b)) return cpus(a) < cpus(b) ? 'A' : 'B';
  if (memory(a) !== memory(b)) return memory(a) < memory(b) ? 'A' : 'B';
  return undefined;
}

export interface SizeVerdict {
  /** The smaller size, when the two differ. */
  smaller: 'A' | 'B' | undefined;
  /** Which recovered more slowly (by t99, then t100), if either. */
  slower: 'A' | 'B' | undefined;
  /** Which had more failed attempts (or more devices that never came back), if either. */
  moreFailures: 'A' | 'B' | undefined;
  text: string;
}

const value = (summary: RunSummary, metric: MetricName): number | null => metrics[metric].value(summary);

/** Differences smaller than this (in %) are noise, not a verdict. */
export const verdictTolerancePct = 5;

/** Which run did worse on a lower-is-better metric by more than the tolerance, if either. */
function worse(a: RunSummary, b: RunSummary, metric: MetricName): 'A' | 'B' | undefined {
  const va = value(a, metric);
  const vb = value(b, metric);
  if (va === null || vb === null || va === vb) return undefined;
  const [low, high] = va < vb ? [va, vb] : [vb, va];
  if (Number.isFinite(high) && high - low <= (Math.abs(low) * verdictTolerancePct) / 100) return undefined;
  return va > vb ? 'A' : 'B';
}

/**
 * Says in one sentence whether the smaller size recovered more slowly (t99,
 * else t100) or with more failures (devices that never came back, else
 * failed attempts), each by more than 5%. Pure.
 */
export function sizeVerdict(a: ComparedTarget, b: ComparedTarget): SizeVerdict {
  const smaller = smallerOf(a.target, b.target);
  const slower = worse(a.summary, b.summary, 'recovery.t99') ?? worse(a.summary, b.summary, 'recovery.t100');
  const moreFailures = worse(a.summary, b.summary, 'devices.never_returned') ?? worse(a.summary, b.summary, 'failures.total');
  const of = { A: a, B: b };
  const name = (key: 'A' | 'B'): string => `${key} (${describeSize(of[key].target)})`;
  const shown = (key: 'A' | 'B', metric: MetricName): string => formatMetricValue(metric, value(of[key].summary, metric));
  const pair = (key: 'A' | 'B', metric: MetricName): string => {
    const other = key === 'A' ? 'B' : 'A';
    return `${shown(key, metric)} against ${shown(other, metric)}`;
  };
  const slowText = (key: 'A' | 'B'): string => {
    const metric: MetricName = worse(a.summary, b.summary, 'recovery.t99') ? 'recovery.t99' : 'recovery.t100';
    return `recovered more slowly (${metric} ${pair(key, metric)})`;
  };
  const failText = (key: 'A' | 'B'): string => {
    const metric: MetricName = worse(a.summary, b.summary, 'devices.never_returned') ? 'devices.never_returned' : 'failures.total';
    return `with more failures (${metric} ${pair(key, metric)})`;
  };
  let text: string;
  if (smaller) {
    const parts = [slower === smaller ? slowText(smaller) : '', moreFailures === smaller ? failText(smaller) : ''].filter(Boolean);
    text = parts.length
      ? `the smaller size, ${name(smaller)}, ${parts.join(' and ')}`
      : `the smaller size, ${name(smaller)}, did not recover more slowly or with more failures than ${name(smaller === 'A' ? 'B' : 'A')}: this storm does not tell the sizes apart (try more devices, a higher time scale or a harder fault)`;
  } else {
    const parts = [slower ? `${name(slower)} ${slowText(slower)}` : '', moreFailures ? `${name(moreFailures)} ${failText(moreFailures)}` : ''].filter(Boolean);
    text = parts.length ? parts.join('; ') : 'neither recovered more slowly or with more failures';
  }
  return { smaller, slower, moreFailures, text };
}

/** The console table: one row per metric, A, B and B's change against A, then the verdict. Pure. */
export function formatSizeComparison(a: ComparedTarget, b: ComparedTarget, verdict: SizeVerdict = sizeVerdict(a, b)): { changes: MetricChange[]; text: string } {
  const changes = compareMetrics(a.summary, b.summary, { tolerancePct: 0, metrics: sizeComparisonMetrics });
  const rows: string[][] = [
    ['metric', `A: ${describeSize(a.target)}`, `B: ${describeSize(b.target)}`, 'B vs A'],
    ...changes.map((c) => [c.metric, c.baselineShown, c.currentShown, formatChange(c.changePct)]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => `  ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ')}`;
  const s = a.summary;
  const text = [
    `aftershock compare: ${s.scenario}, ${s.devices} devices, seed ${JSON.stringify(s.seed)}, time scale ${s.timeScale}, A then B`,
    line(rows[0]),
    ...rows.slice(1).map(line),
    `  verdict: ${verdict.text}`,
  ].join('\n');
  return { changes, text };
}
