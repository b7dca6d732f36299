import * as hdr from 'hdr-histogram-js';
import type { BackendSample, RunEvent, RunOutcome } from './run-events.ts';
import { IntegrityCollector, type IntegritySummary } from './integrity-collector.ts';
import type { ThresholdResult } from './thresholds/evaluate-thresholds.ts';
import type { ModelComparison, PlanComparison } from '../simulators/model/compare-to-run.ts';
import { PhaseBins, type RunPhases } from './run-phases.ts';

/**
 * 2: added `recoveryCdf`, `handshakeSeries`, `thresholds`, `outcomeMessage`.
 * 3: added `phases`; `attempts.peakPerSecond` is the recovery phase's peak
 * (it was the whole run's, which the boot ramp usually set).
 */
export const summarySchemaVersion = 3;

/** A backend sample without its event type; distributes over the union so `reachable` still discriminates. */
export type BackendSampleFields = BackendSample extends infer S ? (S extends unknown ? Omit<S, 'type'> : never) : never;

/** One second of scenario time. */
export interface SeriesPoint {
  /** Start of the second, scenario ms since the run's origin. */
  t: number;
  /** Devices online at the end of the second. */
  online: number;
  attempts: number;
  successes: number;
  failures: Record<string, number>;
  lost: Record<string, number>;
}

/** Time to reconnect after the backend was back, in scenario ms. */
export interface RecoveryPercentiles {
  t50: number | null;
  t90: number | null;
  t99: number | null;
  t100: number | null;
}

/**
 * The distribution of time to reconnect after the restore, as points of a
 * step CDF: `share[i]` of all devices (never-returned ones included, so the
 * curve may stop below 1) were back within `ms[i]` scenario ms. At most
 * `cdfMaxPoints` points, whatever the fleet size, so reports stay small.
 */
export interface RecoveryCdf {
  ms: number[];
  share: number[];
}
export const cdfMaxPoints = 500;

/** Handshake latency of the handshakes that completed in one scenario second (real ms). */
export interface HandshakePoint {
  /** Start of the second, scenario ms. */
  t: number;
  count: number;
  p50: number;
  p90: number;
  p99: number;
}

/** The JSON-ready result of a run; `summary.json` on disk. */
export interface RunSummary {
  schemaVersion: number;
  /** Set when the summary was read from an older schema (loadSummary); its `phases` are then unknown (null). */
  upgradedFrom?: number;
  scenario: string;
  seed: string | number;
  timeScale: number;
  devices: number;
  startedAt: string;
  versions: Record<string, string>;
  policy: Record<string, unknown>;
  outcome: RunOutcome | 'partial';
  /** Scenario ms from the origin to the last event. */
  durationMs: number;
  chaos: { kind: string; action: 'inject' | 'undo' | 'note'; t: number; detail?: string }[];
  /** When the fault hit (first inject) and the backend was back (last undo), scenario ms. */
  faultAtMs: number | null;
  restoredAtMs: number | null;
  /** Time from `restoredAtMs` until each device was online again. Null: some devices never came back. */
  recovery: RecoveryPercentiles;
  /**
   * `peakPerSecond`: attempts per second over the busiest 5 seconds of the
   * recovery phase (null without a restore); the boot and outage peaks, and
   * each phase's busiest single second, are in `phases`.
   */
  attempts: { total: number; peakPerSecond: number | null; peakAtMs: number | null };
  /** Attempts, peaks, failures and handshake latency of each phase: boot, outage, recovery, steady. */
  phases: RunPhases;
  failures: { total: number; byCause: Record<string, number> };
  /** How online devices noticed they had lost their connection. */
  lost: { total: number; byCause: Record<string, number> };
  /** Real-time handshake latency (attempt start to welcome), ms. */
  handshakeMs: { p50: number; p90: number; p99: number; max: number; count: number };
  /** Handshake latency per scenario second, for seconds with at least one handshake. */
  handshakeSeries: HandshakePoint[];
  /** Null when the backend was never restored (no fault, or the run ended first). */
  recoveryCdf: RecoveryCdf | null;
  /** Why the run ended in error, from its run-end event. */
  outcomeMessage?: string;
  /** The scenario's thresholds against this run; set by whoever knows them (the runner, `aftershock report`). */
  thresholds?: ThresholdResult[];
  /**
   * The storm planner replaying this run (same devices, seed, boot and fault
   * times) against what was measured: how far its devices-online curve was
   * from the measured one at the worst second. Set by the runner.
   */
  model?: ModelComparison;
  /**
   * The plain plan (\`aftershock plan SCENARIO\`, from the scenario alone,
   * nothing of the run fed in) against what was measured, from the fault on.
   * Set by the runner.
   */
  plan?: PlanComparison;
  devicesOnlineAtEnd: number;
  neverReturned: { count: number; sample: number[] };
  /** Self-checks of the harness against its own policy. */
  verification: {
    /** Attempts made earlier than the planned wait allowed (tolerance: `toleranceMs`). */
    earlyAttempts: number;
    toleranceMs: number;
    /** Progress samples at which the devices per state did not add up to the fleet (set by the runner). */
    unaccountedSamples?: number;
  };
  series: SeriesPoint[];
  /** Nothing lost, content kept showing, the API under the storm: present when the scenario has `integrity`. */
  integrity?: IntegritySummary;
  /** The backend's own metrics, as polled during the run (scenario time). */
  backend: {
    samples: BackendSampleFields[];
    peakCpuPercent: number | null;
    peakRssMB: number | null;
    peakEventLoopDelayMs: number | null;
    unreachableSamples: number;
  };
}

function increment(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

/**
 * Folds a run's events into its summary. Listener-shaped (`add`) so it can
 * follow a live run or replay an event file; `summary()` may be called at any
 * time and reflects what has been seen so far.
 */
export class RunCollector {
  private start: Extract<RunEvent, { type: 'run-start' }> | undefined;
  private end: Extract<RunEvent, { type: 'run-end' }> | undefined;
  private lastT = 0;
  private online = 0;
  private everOnline: Uint8Array = new Uint8Array(0);
  private isOnline: Uint8Array = new Uint8Array(0);
  /** Scenario time each device came online after the restore, or NaN. */
  private backAt: Float64Array = new Float64Array(0);
  /** Last planned wait per device: when it was planned and how long. */
  private waitPlannedAt: Float64Array = new Float64Array(0);
  private waitDelay: Float64Array = new Float64Array(0);
  private readonly series: SeriesPoint[] = [];
  private readonly chaos: RunSummary['chaos'] = [];
  private readonly backendSamples: BackendSampleFields[] = [];
  private readonly failuresByCause: Record<string, number> = {};
  private readonly lostByCause: Record<string, number> = {};
  private attempts = 0;
  private failures = 0;
  private lostTotal = 0;
  private earlyAttempts = 0;
  private faultAt: number | null = null;
  private restoredAt: number | null = null;
  /** Real handshake ms of each scenario second (sparse), for per-second percentiles. */
  private readonly handshakeBySecond: number[][] = [];
  private readonly phaseBins = new PhaseBins();
  private readonly handshake = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  /** Real ms a timer may fire early (rounding in the event loop), scaled into scenario ms. */
  private toleranceMs = 0;
  private readonly integrity = new IntegrityCollector();

  readonly add = (event: RunEvent): void => {
    this.lastT = Math.max(this.lastT, event.t);
    this.integrity.add(event);
    switch (event.type) {
      case 'run-start': {
        this.start = event;
        const n = event.devices;
        this.everOnline = new Uint8Array(n);
        this.isOnline = new Uint8Array(n);
        this.backAt = new Float64Array(n).fill(Number.NaN);
        this.waitPlannedAt = new Float64Array(n).fill(Number.NaN);
        this.waitDelay = new Float64Array(n);
        this.toleranceMs = 2 * event.timeScale;
        break;
      }
      case 'run-end':
        this.end = event;
        break;
      case 'phase':
        break;
      case 'chaos':
        this.chaos.push({ kind: event.kind, action: event.action, t: event.t, ...(event.detail ? { detail: event.detail } : {}) });
        if (event.action === 'inject' && this.faultAt === null) this.faultAt = event.t;
        if (event.action === 'undo') {
          this.restoredAt = event.t;
          // Recovery is measured from the last restore: forget earlier returns.
          this.backAt.fill(Number.NaN);
          for (let i = 0; i < this.isOnline.length; i++) if (this.isOnline[i]) this.backAt[i] = event.t;
        }
        break;
      case 'wait':
        this.waitPlannedAt[event.device] = event.t;
        this.waitDelay[event.device] = event.delayMs;
        break;
      case 'attempt': {
        this.attempts++;
        this.point(event.t).attempts++;
        this.phaseBins.attempt(event.t);
        const plannedAt = this.waitPlannedAt[event.device];
        if (!Number.isNaN(plannedAt) && event.t - plannedAt < this.waitDelay[event.device] - this.toleranceMs) {
          this.earlyAttempts++;
        }
        break;
      }
      case 'online':
        this.point(event.t).successes++;
        this.handshake.recordValue(Math.max(1, Math.round(event.handshakeMs)));
        (this.handshakeBySecond[Math.max(0, Math.floor(event.t / 1000))] ??= []).push(event.handshakeMs);
        this.phaseBins.handshake(event.t, event.handshakeMs);
        if (!this.isOnline[event.device]) {
          this.isOnline[event.device] = 1;
          this.online++;
        }
        this.everOnline[event.device] = 1;
        if (this.restoredAt !== null && Number.isNaN(this.backAt[event.device])) this.backAt[event.device] = event.t;
        this.point(event.t).online = this.online;
        break;
      case 'failure':
        this.failures++;
        this.phaseBins.failure(event.t);
        increment(this.failuresByCause, event.cause);
        increment(this.point(event.t).failures, event.cause);
        break;
      case 'lost':
        this.lostTotal++;
        increment(this.lostByCause, event.cause);
        increment(this.point(event.t).lost, event.cause);
        if (this.isOnline[event.device]) {
          this.isOnline[event.device] = 0;
          this.online--;
        }
        // A device that drops again after the restore has not recovered yet.
        if (this.restoredAt !== null) this.backAt[event.device] = Number.NaN;
        this.point(event.t).online = this.online;
        break;
      case 'content':
        break;
      case 'backend': {
        const { type: _type, ...sample } = event;
        this.backendSamples.push(sample);
        break;
      }
    }
  };

  /** The series point for the scenario second containing `t`, filling gaps. */
  private point(t: number): SeriesPoint {
    const second = Math.max(0, Math.floor(t / 1000));
    while (this.series.length <= second) {
      const previous = this.series[this.series.length - 1];
      this.series.push({ t: this.series.length * 1000, online: previous ? previous.online : this.online, attempts: 0, successes: 0, failures: {}, lost: {} });
    }
    return this.series[second];
  }

  summary(): RunSummary {
    const start = this.start;
    if (!start) throw new Error('no run-start event: the event stream is empty or not an aftershock run');
    const devices = start.devices;
    // Devices back after the restore, sorted; never-returned devices leave the tail open.
    const times: number[] = [];
    const never: number[] = [];
    for (let i = 0; i < devices; i++) {
      if (!this.isOnline[i]) never.push(i);
      else if (this.restoredAt !== null) times.push(Math.max(0, this.backAt[i] - this.restoredAt));
    }
    const sorted = Float64Array.from(times).sort();
    const recovery: RecoveryPercentiles =
      this.restoredAt === null
        ? { t50: null, t90: null, t99: null, t100: null }
        : {
            t50: pick(sorted, devices, 50),
            t90: pick(sorted, devices, 90),
            t99: pick(sorted, devices, 99),
            t100: pick(sorted, devices, 100),
          };
    // The last device back after the restore: the end of the recovery phase (null if some never came back).
    const recoveredAt = this.restoredAt !== null && recovery.t100 !== null ? this.restoredAt + recovery.t100 : null;
    const phases = this.phaseBins.phases({ faultAtMs: this.faultAt, restoredAtMs: this.restoredAt, recoveredAtMs: recoveredAt, endMs: this.lastT });
    const h = this.handshake;
    const reachable = this.backendSamples.filter((s): s is Extract<BackendSampleFields, { reachable: true }> => s.reachable);
    const integrity = this.integrity.summary({ isOnline: this.isOnline, restoredAt: this.restoredAt });
    const highest = (values: (number | null)[]): number | null => {
      const numbers = values.filter((v): v is number => v !== null);
      return numbers.length > 0 ? Math.max(...numbers) : null;
    };
    return {
      schemaVersion: summarySchemaVersion,
      scenario: start.scenario,
      seed: start.seed,
      timeScale: start.timeScale,
      devices,
      startedAt: start.startedAt,
      versions: start.versions,
      policy: start.policy,
      outcome: this.end ? this.end.outcome : 'partial',
      ...(this.end?.message ? { outcomeMessage: this.end.message } : {}),
      durationMs: this.lastT,
      chaos: this.chaos,
      faultAtMs: this.faultAt,
      restoredAtMs: this.restoredAt,
      recovery,
      attempts: { total: this.attempts, peakPerSecond: phases.recovery?.peakPerSecond ?? null, peakAtMs: phases.recovery?.peakAtMs ?? null },
      phases,
      failures: { total: this.failures, byCause: { ...this.failuresByCause } },
      lost: { total: this.lostTotal, byCause: { ...this.lostByCause } },
      handshakeMs: {
        p50: h.totalCount ? h.getValueAtPercentile(50) : 0,
        p90: h.totalCount ? h.getValueAtPercentile(90) : 0,
        p99: h.totalCount ? h.getValueAtPercentile(99) : 0,
        max: h.totalCount ? h.maxValue : 0,
        count: h.totalCount,
      },
      handshakeSeries: handshakeSeries(this.handshakeBySecond),
      recoveryCdf: this.restoredAt === null ? null : recoveryCdf(sorted, devices),
      devicesOnlineAtEnd: this.online,
      neverReturned: { count: never.length, sample: never.slice(0, 20) },
      verification: { earlyAttempts: this.earlyAttempts, toleranceMs: this.toleranceMs },
      series: this.series.map((p) => ({ ...p, failures: { ...p.failures }, lost: { ...p.lost } })),
      ...(integrity ? { integrity } : {}),
      backend: {
        samples: [...this.backendSamples],
        peakCpuPercent: highest(reachable.map((s) => s.cpuPercent)),
        peakRssMB: highest(reachable.map((s) => s.rssMB)),
        peakEventLoopDelayMs: highest(reachable.map((s) => s.eventLoopDelayMaxMs)),
        unreachableSamples: this.backendSamples.length - reachable.length,
      },
    };
  }
}

/**
 * The p-th percentile of recovery times over all `devices`: devices that
 * never came back count as infinitely late, so a percentile that falls among
 * them is null.
 */
function pick(sortedReturned: Float64Array, devices: number, p: number): number | null {
  if (devices === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * devices));
  return rank <= sortedReturned.length ? sortedReturned[rank - 1] : null;
}

/**
 * The step CDF of sorted recovery times over all `devices`, downsampled to
 * at most `cdfMaxPoints` evenly spaced ranks (the first and last included).
 */
export function recoveryCdf(sortedReturned: Float64Array, devices: number): RecoveryCdf {
  const returned = sortedReturned.length;
  const cdf: RecoveryCdf = { ms: [], share: [] };
  if (returned === 0 || devices === 0) return cdf;
  const points = Math.min(returned, cdfMaxPoints);
  let previousRank = 0;
  for (let k = 1; k <= points; k++) {
    const rank = Math.max(1, Math.round((k * returned) / points));
    if (rank === previousRank) continue;
    previousRank = rank;
    cdf.ms.push(Math.round(sortedReturned[rank - 1]));
    cdf.share.push(+(rank / devices).toFixed(5));
  }
  return cdf;
}

/** Nearest-rank percentiles of each second's handshakes (real ms, 0.1 ms resolution). */
function handshakeSeries(bySecond: number[][]): HandshakePoint[] {
  const points: HandshakePoint[] = [];
  bySecond.forEach((values, second) => {
    const sorted = Float64Array.from(values).sort();
    const at = (p: number): number => Math.round(sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] * 10) / 10;
    points.push({ t: second * 1000, count: sorted.length, p50: at(50), p90: at(90), p99: at(99) });
  });
  return points;
}
