import { formatDuration } from '../../scenarios/duration.ts';
import type { FailureCause } from '../../simulators/devices/fleet-events.ts';
import type { BackendSampleFields, RunSummary } from '../run-collector.ts';
import type { ChartSlot, ChartSpec, TimeBand, TimeMark } from './chart-spec.ts';

/** Line and pastel fill per failure cause; a forgotten cause is a compile error. */
export const failureColors: Record<FailureCause, { line: string; fill: string }> = {
  refused: { line: '#ea580c', fill: '#fed7aa' },
  reset: { line: '#dc2626', fill: '#fecaca' },
  'connect-timeout': { line: '#ca8a04', fill: '#fef08a' },
  'handshake-timeout': { line: '#be123c', fill: '#fda4af' },
  'rejected-503': { line: '#9333ea', fill: '#e9d5ff' },
  rejected: { line: '#db2777', fill: '#fbcfe8' },
  'address-unavailable': { line: '#475569', fill: '#cbd5e1' },
  'too-many-files': { line: '#57534e', fill: '#d6d3d1' },
  error: { line: '#7f1d1d', fill: '#fca5a5' },
};
const otherFailure = { line: '#6b7280', fill: '#e5e7eb' };

const seconds = (ms: number): number => Math.round(ms) / 1000;
const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** The planner's prediction, when the summary carries one (`summary.model`, added by the planner). */
export function predictedOnline(summary: RunSummary): number[] | null {
  const model = (summary as { model?: { predictedOnline?: unknown } }).model;
  const predicted = model?.predictedOnline;
  return Array.isArray(predicted) && predicted.length > 0 && predicted.every((v) => typeof v === 'number') ? (predicted as number[]) : null;
}

/** The plain plan's prediction from the fault on, aligned to the run's seconds (null before the fault), when the summary carries one. */
export function plannedOnline(summary: RunSummary): (number | null)[] | null {
  const plan = summary.plan;
  if (!plan || plan.fromMs === null || plan.predictedOnline.length === 0) return null;
  const from = Math.round(plan.fromMs / 1000);
  return summary.series.map((_, i) => (i < from ? null : (plan.predictedOnline[i - from] ?? null)));
}

/** API latency per backend sample, when the run measured it (`apiLatencyMs` on a sample). */
function apiLatency(samples: BackendSampleFields[]): { x: number[]; values: (number | null)[] } | null {
  const x: number[] = [];
  const values: (number | null)[] = [];
  let measured = false;
  for (const s of samples) {
    const latency = (s as { apiLatencyMs?: unknown }).apiLatencyMs;
    x.push(seconds(s.t));
    if (typeof latency === 'number') {
      values.push(round(latency));
      measured = true;
    } else values.push(null);
  }
  return measured ? { x, values } : null;
}

/**
 * Chaos events as bands from inject to undo (paired in order per kind; a
 * fault never undone runs to the end of the recording) and notes as marks.
 * `shiftS` moves them onto another axis origin (a comparison aligns runs on
 * their fault).
 */
export function chaosBands(summary: RunSummary, shiftS = 0, run?: 'a' | 'b'): { bands: TimeBand[]; marks: TimeMark[] } {
  const bands: TimeBand[] = [];
  const marks: TimeMark[] = [];
  const open = new Map<string, { t: number; detail?: string }[]>();
  const prefix = run ? `${run.toUpperCase()}: ` : '';
  const tag = run ? { run } : {};
  for (const event of summary.chaos) {
    if (event.action === 'inject') {
      const list = open.get(event.kind) ?? [];
      list.push({ t: event.t, detail: event.detail });
      open.set(event.kind, list);
    } else if (event.action === 'undo') {
      const started = open.get(event.kind)?.shift();
      const from = started ? started.t : 0;
      bands.push({ fromS: seconds(from) - shiftS, toS: seconds(event.t) - shiftS, label: `${prefix}${event.kind}${started?.detail ? `: ${started.detail}` : ''}`, kind: 'chaos', ...tag });
    } else {
      marks.push({ atS: seconds(event.t) - shiftS, label: `${prefix}${event.kind}: ${event.detail ?? 'note'}`, ...tag });
    }
  }
  for (const [kind, list] of open) {
    for (const started of list) {
      bands.push({
        fromS: seconds(started.t) - shiftS,
        toS: seconds(summary.durationMs) - shiftS,
        label: `${prefix}${kind}${started.detail ? `: ${started.detail}` : ''} (not undone)`,
        kind: 'chaos',
        open: true,
        ...tag,
      });
    }
  }
  return { bands: bands.sort((a, b) => a.fromS - b.fromS), marks };
}

/** Spans where the backend's metrics did not answer: consecutive unreachable samples, up to the next answer. */
export function unreachableBands(summary: RunSummary, shiftS = 0, run?: 'a' | 'b'): TimeBand[] {
  const bands: TimeBand[] = [];
  const samples = summary.backend.samples;
  let from: number | null = null;
  for (const s of samples) {
    if (!s.reachable && from === null) from = s.t;
    if (s.reachable && from !== null) {
      bands.push({ fromS: seconds(from) - shiftS, toS: seconds(s.t) - shiftS, label: `${run ? `${run.toUpperCase()}: ` : ''}backend not answering`, kind: 'unreachable', ...(run ? { run } : {}) });
      from = null;
    }
  }
  if (from !== null) {
    bands.push({ fromS: seconds(from) - shiftS, toS: seconds(summary.durationMs) - shiftS, label: `${run ? `${run.toUpperCase()}: ` : ''}backend not answering`, kind: 'unreachable', ...(run ? { run } : {}) });
  }
  return bands;
}

/** Handshake percentiles on their own seconds, with a gap (null) wherever a second had no handshake. */
export function handshakeTrack(summary: RunSummary): { x: number[]; p50: (number | null)[]; p90: (number | null)[]; p99: (number | null)[] } {
  const track = { x: [] as number[], p50: [] as (number | null)[], p90: [] as (number | null)[], p99: [] as (number | null)[] };
  let previous: number | null = null;
  for (const point of summary.handshakeSeries) {
    const s = point.t / 1000;
    if (previous !== null && s - previous > 1) {
      track.x.push(previous + 1);
      track.p50.push(null);
      track.p90.push(null);
      track.p99.push(null);
    }
    track.x.push(s);
    track.p50.push(point.p50);
    track.p90.push(point.p90);
    track.p99.push(point.p99);
    previous = s;
  }
  return track;
}

/**
 * Pads a scenario-time chart with empty points at 0 and at the end of the
 * recording, so every time chart of a report spans the same range and a
 * moment lines up across them.
 */
export function spanWholeRun(spec: ChartSpec, endS: number): ChartSpec {
  const x = [...spec.x];
  const series = spec.series.map((s) => ({ ...s, values: [...s.values], ...(s.legendValues ? { legendValues: [...s.legendValues] } : {}) }));
  if (x.length === 0 || x[0] > 0) {
    x.unshift(0);
    for (const s of series) {
      s.values.unshift(null);
      s.legendValues?.unshift(null);
    }
  }
  if (x[x.length - 1] < endS) {
    x.push(endS);
    for (const s of series) {
      s.values.push(null);
      s.legendValues?.push(null);
    }
  }
  return { ...spec, x, series };
}

/** Failure causes of a run, most frequent first. */
export function causesByTotal(summary: RunSummary): string[] {
  return Object.entries(summary.failures.byCause)
    .sort((a, b) => b[1] - a[1])
    .map(([cause]) => cause);
}

/**
 * Every chart of one run's report, in reading order. Charts the run did not
 * measure come back as `missing`, with the reason, so the page can say so.
 */
export function runCharts(summary: RunSummary): ChartSlot[] {
  const { bands, marks } = chaosBands(summary);
  const down = unreachableBands(summary);
  const x = summary.series.map((p) => seconds(p.t));
  const slots: ChartSlot[] = [];
  const endS = seconds(summary.durationMs);
  const chart = (spec: Omit<ChartSpec, 'bands' | 'marks'> & Partial<Pick<ChartSpec, 'bands' | 'marks'>>): void => {
    const full: ChartSpec = { bands, marks, ...spec };
    slots.push({ kind: 'chart', spec: full.xAxis === 'scenario-time' ? spanWholeRun(full, endS) : full });
  };

  // Devices online, with the planner's prediction over it.
  const predicted = predictedOnline(summary);
  const planned = plannedOnline(summary);
  const planCaption =
    planned && summary.plan?.maxDeviationPct != null
      ? ` Dotted: the plain plan from the scenario alone, from the fault on (within ${summary.plan.maxDeviationPct}% of the fleet at every second${summary.plan.noticeLagMs ? `, counted from the fleet's notice of the kill ${formatDuration(summary.plan.noticeLagMs)} after it` : ''}).${summary.plan.beyondMachine ? ` Note: ${summary.plan.beyondMachine}.` : ''}`
      : '';
  chart({
    id: 'online',
    title: 'Devices online',
    caption:
      (predicted
        ? `Devices online at the end of each scenario second; dashed: the planner's replay, fed this run's boot and restore times${summary.model?.maxDeviationPct != null ? ` (within ${summary.model.maxDeviationPct}% of the fleet)` : ''}.`
        : 'Devices online at the end of each scenario second.') + planCaption,
    xAxis: 'scenario-time',
    x,
    yFormat: 'count',
    yLabel: 'devices',
    yRange: [0, Math.max(1, summary.devices)],
    series: [
      { label: 'online (measured)', color: '#2563eb', values: summary.series.map((p) => p.online), fill: 'rgba(37, 99, 235, 0.08)', width: 2 },
      ...(predicted ? [{ label: 'online (replay)', color: '#9333ea', values: x.map((_, i) => predicted[i] ?? null), dash: [6, 4], width: 2 }] : []),
      ...(planned ? [{ label: 'online (plain plan)', color: '#ea580c', values: x.map((_, i) => planned[i] ?? null), dash: [2, 3], width: 2 }] : []),
    ],
  });

  // Attempts and handshakes per second, failures stacked by cause underneath.
  const causes = causesByTotal(summary);
  const cumulative: number[][] = [];
  let running = summary.series.map(() => 0);
  for (const cause of causes) {
    running = summary.series.map((p, i) => running[i] + (p.failures[cause] ?? 0));
    cumulative.push(running);
  }
  const stacked = causes
    .map((cause, i) => {
      const colors = failureColors[cause as FailureCause] ?? otherFailure;
      return {
        label: `failed: ${cause}`,
        color: colors.line,
        fill: colors.fill,
        width: 0.5,
        values: cumulative[i],
        legendValues: summary.series.map((p) => p.failures[cause] ?? 0),
      };
    })
    .reverse(); // top of the stack first, so each lower area is drawn over the one above it
  chart({
    id: 'attempts',
    title: 'Connection attempts per second',
    caption: 'Attempts and successful handshakes per scenario second (lines); failed attempts stacked by cause (areas).',
    xAxis: 'scenario-time',
    x,
    yFormat: 'rate',
    yLabel: 'per second',
    series: [
      ...stacked,
      { label: 'attempts', color: '#0f172a', values: summary.series.map((p) => p.attempts), width: 1.5 },
      { label: 'handshakes', color: '#16a34a', values: summary.series.map((p) => p.successes), width: 1.5 },
    ],
  });

  // Time to reconnect after the restore.
  const cdf = summary.recoveryCdf;
  if (cdf && cdf.ms.length > 0) {
    const cx = cdf.ms.map(seconds);
    const cy = cdf.share.map((s) => round(s * 100, 3));
    if (cx[0] > 0) {
      cx.unshift(0);
      cy.unshift(0);
    }
    const r = summary.recovery;
    const pct: TimeMark[] = (['t50', 't90', 't99', 't100'] as const).flatMap((k) => (r[k] === null ? [] : [{ atS: seconds(r[k]!), label: k }]));
    chart({
      id: 'recovery-cdf',
      title: 'Time to reconnect after the restore',
      caption: `Share of all ${summary.devices} devices back online, by time since the backend was back (scenario time); marks at t50, t90, t99, t100.`,
      xAxis: 'since-restore',
      x: cx,
      yFormat: 'share-percent',
      yLabel: '% of devices',
      yRange: [0, 100],
      series: [{ label: 'devices back', color: '#2563eb', values: cy, stepped: true, width: 2, fill: 'rgba(37, 99, 235, 0.08)' }],
      bands: [],
      marks: pct,
    });
  } else {
    slots.push({ kind: 'missing', missing: { id: 'recovery-cdf', title: 'Time to reconnect after the restore', reason: summary.restoredAtMs === null ? 'The backend was never restored in this run (no fault, or the run ended first).' : 'No device came back after the restore.' } });
  }

  // Handshake latency percentiles per second.
  const hs = handshakeTrack(summary);
  if (hs.x.length > 0) {
    chart({
      id: 'handshake',
      title: 'Handshake latency',
      caption: 'p50, p90 and p99 of the handshakes completed in each scenario second, in real milliseconds (latency is not scaled); log scale.',
      xAxis: 'scenario-time',
      x: hs.x,
      yFormat: 'real-ms',
      yLabel: 'real ms',
      yLog: true,
      series: [
        { label: 'p50', color: '#16a34a', values: hs.p50, width: 1.5 },
        { label: 'p90', color: '#d97706', values: hs.p90, width: 1.5 },
        { label: 'p99', color: '#dc2626', values: hs.p99, width: 1.5 },
      ],
    });
  } else {
    slots.push({ kind: 'missing', missing: { id: 'handshake', title: 'Handshake latency', reason: 'No handshake completed in this run.' } });
  }

  // Backend resources, with the spans it did not answer.
  const samples = summary.backend.samples;
  const reachable = samples.filter((s) => s.reachable);
  const backendBands = [...bands, ...down];
  const bx = samples.map((s) => seconds(s.t));
  const field = (get: (s: Extract<BackendSampleFields, { reachable: true }>) => number | null): (number | null)[] =>
    samples.map((s) => (s.reachable ? get(s) : null));
  if (reachable.length > 0) {
    chart({
      id: 'backend-cpu',
      title: 'Backend CPU',
      caption: 'CPU time of the backend process as a share of one core, per metrics poll; hatched grey where the backend did not answer.',
      xAxis: 'scenario-time',
      x: bx,
      yFormat: 'percent',
      yLabel: '% of one core',
      heightPx: 200,
      bands: backendBands,
      series: [{ label: 'CPU', color: '#ea580c', values: field((s) => s.cpuPercent), fill: 'rgba(234, 88, 12, 0.1)', width: 1.5 }],
    });
    chart({
      id: 'backend-memory',
      title: 'Backend memory',
      caption: 'Resident set size and V8 heap in use, MB.',
      xAxis: 'scenario-time',
      x: bx,
      yFormat: 'megabytes',
      yLabel: 'MB',
      heightPx: 200,
      bands: backendBands,
      series: [
        { label: 'RSS', color: '#0891b2', values: field((s) => s.rssMB), width: 1.5 },
        { label: 'heap used', color: '#65a30d', values: field((s) => s.heapUsedMB), width: 1.5 },
      ],
    });
    chart({
      id: 'backend-loop',
      title: 'Backend event-loop delay',
      caption: "p99 and max delay of the backend's event loop over each poll interval, real ms.",
      xAxis: 'scenario-time',
      x: bx,
      yFormat: 'real-ms',
      yLabel: 'real ms',
      heightPx: 200,
      bands: backendBands,
      series: [
        { label: 'p99', color: '#7c3aed', values: field((s) => round(s.eventLoopDelayP99Ms)), width: 1.5 },
        { label: 'max', color: '#c026d3', values: field((s) => round(s.eventLoopDelayMaxMs)), width: 1, dash: [4, 3] },
      ],
    });
  } else {
    slots.push({ kind: 'missing', missing: { id: 'backend', title: 'Backend CPU, memory and event-loop delay', reason: samples.length > 0 ? 'The backend never answered a metrics poll.' : 'The target exposes no metrics (only the reference backend does).' } });
  }

  const api = apiLatency(samples);
  if (api) {
    chart({
      id: 'api-latency',
      title: 'API latency',
      caption: "Latency of the backend's HTTP API, real ms.",
      xAxis: 'scenario-time',
      x: api.x,
      yFormat: 'real-ms',
      yLabel: 'real ms',
      heightPx: 200,
      bands: backendBands,
      series: [{ label: 'API latency', color: '#0d9488', values: api.values, width: 1.5 }],
    });
  } else {
    slots.push({ kind: 'missing', missing: { id: 'api-latency', title: 'API latency', reason: 'Not measured in this run: no API probe ran during recovery.' } });
  }
  return slots;
}
