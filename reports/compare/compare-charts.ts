import type { RunSummary } from '../run-collector.ts';
import type { ChartSeries, ChartSlot, ChartSpec, TimeBand, TimeMark } from '../html/chart-spec.ts';
import { chaosBands, handshakeTrack } from '../html/run-charts.ts';

/** Colours of the two runs: A (before, baseline) and B (after, candidate). */
export const runColors = { a: '#2563eb', b: '#ea580c' } as const;

export interface ComparedRun {
  /** A short name for legends: the run folder's name. */
  name: string;
  summary: RunSummary;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/**
 * Where each run's time axis starts: both runs are aligned on their fault
 * (whole seconds, so the per-second series stay on a common grid) when both
 * had one, else on their origins.
 */
export function alignment(a: RunSummary, b: RunSummary): { axis: 'since-fault' | 'scenario-time'; shiftS: { a: number; b: number } } {
  if (a.faultAtMs !== null && b.faultAtMs !== null) {
    return { axis: 'since-fault', shiftS: { a: Math.round(a.faultAtMs / 1000), b: Math.round(b.faultAtMs / 1000) } };
  }
  return { axis: 'scenario-time', shiftS: { a: 0, b: 0 } };
}

/** Both runs' charts on common axes: each series carries its own x (the page aligns them), A in blue, B in orange. */
export function compareCharts(a: ComparedRun, b: ComparedRun): ChartSlot[] {
  const { axis, shiftS } = alignment(a.summary, b.summary);
  const runs = [
    { key: 'a' as const, run: a },
    { key: 'b' as const, run: b },
  ];
  const bands: TimeBand[] = [];
  const marks: TimeMark[] = [];
  for (const { key, run } of runs) {
    const chaos = chaosBands(run.summary, shiftS[key], key);
    bands.push(...chaos.bands);
    marks.push(...chaos.marks);
  }
  const sameFleet = a.summary.devices === b.summary.devices;
  const slots: ChartSlot[] = [];
  const timeChart = (spec: Omit<ChartSpec, 'bands' | 'marks' | 'xAxis' | 'x'>): void => {
    slots.push({ kind: 'chart', spec: { ...spec, xAxis: axis, x: [], bands, marks } });
  };
  /** One series per run from a per-second field of its summary. */
  const perSecond = (label: string, get: (s: RunSummary, i: number) => number | null, style: Partial<ChartSeries> = {}): ChartSeries[] =>
    runs.map(({ key, run }) => ({
      label: `${key.toUpperCase()} ${label}`,
      color: runColors[key],
      width: 1.5,
      ...style,
      x: run.summary.series.map((p) => seconds(p.t) - shiftS[key]),
      values: run.summary.series.map((_, i) => get(run.summary, i)),
    }));

  timeChart({
    id: 'online',
    title: 'Devices online',
    caption: sameFleet
      ? `Devices online at the end of each scenario second; A: ${a.name}, B: ${b.name}.`
      : `Share of each run's fleet online (the fleets differ: A ${a.summary.devices}, B ${b.summary.devices} devices).`,
    yFormat: sameFleet ? 'count' : 'share-percent',
    yLabel: sameFleet ? 'devices' : '% of devices',
    yRange: [0, sameFleet ? Math.max(1, a.summary.devices) : 100],
    series: perSecond('online', (s, i) => (sameFleet ? s.series[i].online : Math.round((1000 * s.series[i].online) / Math.max(1, s.devices)) / 10), { width: 2 }),
  });
  timeChart({
    id: 'attempts',
    title: 'Connection attempts per second',
    caption: 'Attempts (solid) and successful handshakes (dotted) per scenario second.',
    yFormat: 'rate',
    yLabel: 'per second',
    series: [...perSecond('attempts', (s, i) => s.series[i].attempts), ...perSecond('handshakes', (s, i) => s.series[i].successes, { dash: [2, 3], width: 1 })],
  });
  timeChart({
    id: 'failures',
    title: 'Failed attempts per second',
    caption: 'Failed connection attempts per scenario second, every cause.',
    yFormat: 'rate',
    yLabel: 'per second',
    series: perSecond('failed', (s, i) => Object.values(s.series[i].failures).reduce((x, y) => x + y, 0)),
  });

  const cdfSeries: ChartSeries[] = runs.flatMap(({ key, run }) => {
    const cdf = run.summary.recoveryCdf;
    if (!cdf || cdf.ms.length === 0) return [];
    const x = cdf.ms.map(seconds);
    const values: (number | null)[] = cdf.share.map((s) => Math.round(s * 100_000) / 1000);
    if (x[0] > 0) {
      x.unshift(0);
      values.unshift(0);
    }
    return [{ label: `${key.toUpperCase()} devices back`, color: runColors[key], width: 2, stepped: true, x, values }];
  });
  if (cdfSeries.length > 0) {
    slots.push({
      kind: 'chart',
      spec: {
        id: 'recovery-cdf',
        title: 'Time to reconnect after the restore',
        caption: 'Share of all devices back online, by time since the backend was back (scenario time).',
        xAxis: 'since-restore',
        x: [],
        yFormat: 'share-percent',
        yLabel: '% of devices',
        yRange: [0, 100],
        series: cdfSeries,
        bands: [],
        marks: [],
      },
    });
  } else {
    slots.push({ kind: 'missing', missing: { id: 'recovery-cdf', title: 'Time to reconnect after the restore', reason: 'Neither run restored the backend.' } });
  }

  const handshake: ChartSeries[] = runs.flatMap(({ key, run }) => {
    const track = handshakeTrack(run.summary);
    const x = track.x.map((s) => s - shiftS[key]);
    return [
      { label: `${key.toUpperCase()} p99`, color: runColors[key], width: 1.5, x, values: track.p99 },
      { label: `${key.toUpperCase()} p50`, color: runColors[key], width: 1, dash: [2, 3], x, values: track.p50 },
    ];
  });
  timeChart({ id: 'handshake', title: 'Handshake latency', caption: 'p99 (solid) and p50 (dotted) per scenario second, real ms; log scale.', yFormat: 'real-ms', yLabel: 'real ms', yLog: true, series: handshake });

  const backend = (label: string, get: (s: Extract<RunSummary['backend']['samples'][number], { reachable: true }>) => number | null): ChartSeries[] =>
    runs.map(({ key, run }) => ({
      label: `${key.toUpperCase()} ${label}`,
      color: runColors[key],
      width: 1.5,
      x: run.summary.backend.samples.map((s) => seconds(s.t) - shiftS[key]),
      values: run.summary.backend.samples.map((s) => (s.reachable ? get(s) : null)),
    }));
  const measured = runs.some(({ run }) => run.summary.backend.samples.some((s) => s.reachable));
  if (measured) {
    timeChart({ id: 'backend-cpu', title: 'Backend CPU', caption: 'Share of one core, per metrics poll.', yFormat: 'percent', yLabel: '% of one core', heightPx: 200, series: backend('CPU', (s) => s.cpuPercent) });
    timeChart({ id: 'backend-memory', title: 'Backend memory', caption: 'Resident set size, MB.', yFormat: 'megabytes', yLabel: 'MB', heightPx: 200, series: backend('RSS', (s) => s.rssMB) });
    timeChart({ id: 'backend-loop', title: 'Backend event-loop delay', caption: 'p99 over each poll interval, real ms.', yFormat: 'real-ms', yLabel: 'real ms', heightPx: 200, series: backend('loop delay p99', (s) => s.eventLoopDelayP99Ms) });
  } else {
    slots.push({ kind: 'missing', missing: { id: 'backend', title: 'Backend CPU, memory and event-loop delay', reason: 'Neither run has backend metrics.' } });
  }
  // Every time chart spans the same range, so a moment lines up across them.
  const timeSpecs = slots.flatMap((slot) => (slot.kind === 'chart' && slot.spec.xAxis !== 'since-restore' ? [slot.spec] : []));
  const xs = timeSpecs.flatMap((spec) => spec.series.flatMap((s) => (s.x && s.x.length > 0 ? [s.x[0], s.x[s.x.length - 1]] : [])));
  if (xs.length > 0) {
    const span: [number, number] = [Math.min(...xs), Math.max(...xs)];
    for (const spec of timeSpecs) spec.xSpan = span;
  }
  return slots;
}
