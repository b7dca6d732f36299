import type { RunSummary, SeriesPoint } from '../../reports/run-collector.ts';
import type { Scenario } from '../../scenarios/scenario-schema.ts';
import { deviceBootAfterMs, deviceBootKey } from '../devices/device-streams.ts';
import { unlimitedCapacity, type CapacityParams } from './capacity-model.ts';
import { faults, type FaultKind, type FaultParams } from './fault-model.ts';
import { outageOfChaos, type ChaosEventLike } from './scenario-fault.ts';
import { runStormModel, type ModelTimeouts } from './storm-model.ts';
import { machineConnectsPerSecond, machineTiming } from '../../scenarios/machine-timing.ts';

/**
 * The backend capacity a comparison assumed: unlimited, or the accept rate
 * the scenario's target enforces (`target.acceptRate`, handshakes per second
 * of scenario time), beyond which the reference backend answers 503.
 */
export type AssumedCapacity = 'unlimited' | { acceptPerSecond: number; queueMs: number };

/**
 * What the scenario says the backend admits: its target's `acceptRate`
 * (reference or container target), answered as the reference backend does
 * (simulators/backend/accept-rate-limit.ts): an upgrade that comes before
 * its slot gets 503 at once, nobody queues (`queueMs: 0`); else unlimited.
 * With `serviceTimeMs` for each handshake. A limiter that holds nobody
 * starts fewer handshakes than its rate when attempts are sparse (each slot
 * waits for the next attempt after it opens), so queueing here would predict
 * a faster recovery than the backend gives.
 */
export function scenarioCapacity(scenario: Scenario, serviceTimeMs: number): { params: CapacityParams; assumed: AssumedCapacity } {
  const acceptPerSecond = (scenario.target as { acceptRate?: number }).acceptRate;
  if (acceptPerSecond === undefined) return { params: { ...unlimitedCapacity, serviceTimeMs }, assumed: 'unlimited' };
  // The reference backend's limiter holds nobody: an upgrade before its slot is answered 503 at once.
  return { params: { acceptPerSecond, maxInFlight: Infinity, serviceTimeMs, overload: '503', queueMs: 0 }, assumed: { acceptPerSecond, queueMs: 0 } };
}

/**
 * The planner replaying a measured run: how far its online-devices curve is
 * from the measured one. `summary.model` of every run.
 */
export interface ModelComparison {
  /** Largest |predicted - measured| devices online at the end of a scenario second; null: no comparison. */
  maxDeviationDevices: number | null;
  /** The same as a percentage of the fleet. */
  maxDeviationPct: number | null;
  /** Start of the scenario second with the largest gap, ms. */
  atMs: number | null;
  /** Scenario seconds compared (all of the run's). */
  seconds: number;
  /** Why there is no comparison, or what it could not model. */
  note?: string;
  /** What the replay assumed, beyond the scenario itself. */
  assumed: {
    fault: FaultKind | null;
    /** When the fleet started booting, scenario ms: not recorded, so fitted to the measured boot attempts. */
    fleetStartAtMs: number;
    /** When the backend took handshakes again, as the devices saw it (see `restoreSeenAt`). */
    restoredAtMs: number | null;
    /**
     * Handshake time: the run's own, second by second (see `handshakeTimesOf`);
     * where it has none, its median real handshake, scaled to scenario ms.
     */
    serviceTimeMs: number;
    capacity: AssumedCapacity;
  };
  /** Devices online at the end of each scenario second, as predicted (the measured ones are `summary.series`). */
  predictedOnline: number[];
}

/**
 * The timeouts the run itself used: the scenario's, as the harness stretches
 * them for its machine (heartbeats spaced out for a large fleet at a high
 * time scale, timeouts raised when the machine is the bottleneck). They
 * follow from the scenario alone, so the plain plan may use them too.
 */
export function runTimeouts(scenario: Scenario): ModelTimeouts {
  const timing = machineTiming(scenario);
  return {
    connectMs: timing.connectTimeoutMs,
    handshakeMs: timing.handshakeTimeoutMs,
    heartbeatMs: timing.heartbeatTimeoutMs,
    heartbeatIntervalMs: timing.heartbeatIntervalMs ?? 30_000,
  };
}

/**
 * Replays a run in the model: the same devices and seed (so the same boot
 * order and policy waits), the fault as the run met it, the capacity the
 * scenario states (unlimited unless its target has an `acceptRate`), and compares devices online second by second. What the replay takes from
 * the run is the timeline of the fault and of the boot (when the devices
 * attempted, lost their connection, and could connect again); what it
 * predicts is every wait, retry and return after that. Never throws: a run
 * is data even when the planner cannot model it.
 */
export function compareModelToRun(scenario: Scenario, summary: RunSummary): ModelComparison {
  const seconds = summary.series.length;
  const empty = (note: string, fault: FaultKind | null = null): ModelComparison => ({
    maxDeviationDevices: null,
    maxDeviationPct: null,
    atMs: null,
    seconds,
    note,
    assumed: { fault, fleetStartAtMs: 0, restoredAtMs: null, serviceTimeMs: 0, capacity: scenarioCapacity(scenario, 0).assumed },
    predictedOnline: [],
  });
  try {
    if (seconds === 0 || summary.devices === 0) return empty('the run recorded no seconds to compare');
    let fault: FaultParams | null = null;
    let note: string | undefined;
    if (summary.faultAtMs !== null) {
      const of = outageOfChaos(scenario.chaos as unknown as ChaosEventLike[]);
      if (of === null) return empty('the run recorded a fault its scenario does not have');
      if ('reason' in of) return empty(of.reason);
      // Without a restore the backend stayed down to the end of the run.
      const restoredAt = restoreSeenAt(summary.series, summary.faultAtMs, summary.restoredAtMs ?? seconds * 1000);
      const outageMs = Math.max(0, restoredAt - summary.faultAtMs);
      fault = { kind: of.kind, atMs: summary.faultAtMs, outageMs, ...(of.killAfterMs !== undefined && of.killAfterMs < outageMs ? { killAtMs: summary.faultAtMs + of.killAfterMs } : {}) };
      note = of.note;
    }

    // Before the fault nothing should fail: failures there mean the machine
    // could not keep the run's time scale, which the replay cannot know of.
    // With an accept rate, a boot faster than the rate meets 503s the replay has too.
    const limited = scenarioCapacity(scenario, 0).assumed !== 'unlimited';
    const faultSecond = summary.faultAtMs === null ? seconds : Math.floor(summary.faultAtMs / 1000);
    let failedEarly = 0;
    for (let s = 0; s < Math.min(faultSecond, seconds); s++) {
      for (const [cause, n] of Object.entries(summary.series[s].failures)) if (!(limited && cause === 'rejected-503')) failedEarly += n;
    }
    if (failedEarly > 0) {
      const behind = `${failedEarly} attempts failed before the fault: the backend or the fleet fell behind time scale ${summary.timeScale} (a busy machine?), and the replay assumes one that keeps up`;
      note = note ? `${note}; ${behind}` : behind;
    }

    const { fleet } = scenario;
    const bootKey = deviceBootKey(scenario.seed);
    const bootOffsets = new Float64Array(summary.devices);
    for (let i = 0; i < summary.devices; i++) bootOffsets[i] = deviceBootAfterMs(bootKey, i, fleet.rampUp);
    const fleetStartAtMs = fitFleetStart(Float64Array.from(bootOffsets).sort(), summary.series, summary.faultAtMs);
    const bootAtMs = bootTimesOf(bootOffsets, summary.series, summary.faultAtMs, fleetStartAtMs);
    const noticeTimesMs = fault ? noticeTimesOf(summary.series, fault.atMs, fault.atMs + fault.outageMs) : undefined;
    const serviceTimeMs = summary.handshakeMs.p50 * summary.timeScale;
    const serviceTimeAt = handshakeTimesOf(summary);
    const capacity = scenarioCapacity(scenario, serviceTimeMs);

    const result = runStormModel({
      devices: summary.devices,
      seed: scenario.seed,
      policy: scenario.policy,
      timeouts: runTimeouts(scenario),
      fault,
      ...(noticeTimesMs ? { noticeTimesMs } : {}),
      capacity: capacity.params,
      ...(serviceTimeAt ? { serviceTimeAt } : {}),
      boot: { startAtMs: fleetStartAtMs, rampUpMs: fleet.rampUp, atMs: bootAtMs },
      untilMs: seconds * 1000,
    });
    const predictedOnline: number[] = [];
    const gaps: number[] = [];
    for (let s = 0; s < seconds; s++) {
      // The model stops once everything has settled: its last count holds.
      const predicted = (result.series[s] ?? result.series[result.series.length - 1])?.online ?? 0;
      predictedOnline.push(predicted);
      gaps.push(Math.abs(predicted - summary.series[s].online));
    }
    return {
      ...worstGap(gaps, 0, summary.devices),
      seconds,
      ...(note ? { note } : {}),
      assumed: { fault: fault?.kind ?? null, fleetStartAtMs, restoredAtMs: fault ? fault.atMs + fault.outageMs : null, serviceTimeMs, capacity: capacity.assumed },
      predictedOnline,
    };
  } catch (error) {
    return empty(`the planner could not replay this run: ${(error as Error).message}`);
  }
}

/**
 * How long the run's handshakes took, by when they started, scenario ms:
 * the measured handshake latency is part of the backend the replay models
 * (a fleet and backend sharing two cores at time scale 20 take a real
 * second, 20 scenario seconds, for a handshake while thousands boot, and
 * a few milliseconds in the calm after). The summary has the latency of the
 * handshakes that completed in each second; a handshake of median latency L
 * completing in second s started about L before its middle. A handshake the
 * replay starts at t takes the latency of the nearest such start.
 */
export function handshakeTimesOf(summary: RunSummary): { at: (tMs: number) => number; maxMs: number } | undefined {
  const points = (summary.handshakeSeries ?? []).filter((p) => p.count > 0);
  if (points.length === 0) return undefined;
  const starts: number[] = [];
  const latencies: number[] = [];
  for (const p of points) {
    const latencyMs = p.p50 * summary.timeScale;
    starts.push(p.t + 500 - latencyMs);
    latencies.push(latencyMs);
  }
  const order = starts.map((_, k) => k).sort((a, b) => starts[a] - starts[b]);
  const at = Float64Array.from(order, (k) => starts[k]);
  const ms = Float64Array.from(order, (k) => latencies[k]);
  return {
    maxMs: Math.max(...latencies),
    at(tMs) {
      let lo = 0;
      let hi = at.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (at[mid] < tMs) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0) return ms[0];
      if (lo === at.length) return ms[at.length - 1];
      const w = (tMs - at[lo - 1]) / (at[lo] - at[lo - 1]);
      return ms[lo - 1] + w * (ms[lo] - ms[lo - 1]);
    },
  };
}

/**
 * When the backend took handshakes again, as the devices saw it: the run
 * records the restore once the harness has read the restarted backend's
 * ready line, which at a time scale of 20 or more can be seconds of scenario
 * time after the backend first answered. The first second after the fault
 * with a successful handshake shows the backend was up in it (from its
 * middle if attempts still failed in it, else from its start); never later
 * than the recorded restore.
 */
export function restoreSeenAt(series: readonly SeriesPoint[], faultAtMs: number, restoredAtMs: number): number {
  const last = Math.min(series.length - 1, Math.floor(restoredAtMs / 1000));
  for (let s = Math.floor(faultAtMs / 1000) + 1; s <= last; s++) {
    if (series[s].successes === 0) continue;
    const failed = Object.values(series[s].failures).some((n) => n > 0);
    return Math.max(faultAtMs, Math.min(restoredAtMs, s * 1000 + (failed ? 500 : 0)));
  }
  return restoredAtMs;
}

/**
 * The end (exclusive) of the boot seconds whose attempts are all first
 * attempts: up to the fault, and through the first second in which an
 * attempt failed (a backend limiting its accept rate answers part of a fast
 * boot 503, and those devices try again later). After it a measured attempt
 * may be a retry, so it no longer says when a device booted.
 */
function firstAttemptsEnd(series: readonly SeriesPoint[], faultAtMs: number | null): number {
  const end = Math.min(series.length, faultAtMs === null ? series.length : Math.floor(faultAtMs / 1000));
  for (let s = 0; s < end; s++) {
    for (const n of Object.values(series[s].failures)) if (n > 0) return s + 1;
  }
  return end;
}

/**
 * Each device's boot as the run gave it, scenario ms. The order of the
 * boots is the seed's (device offsets within the ramp-up), but a fleet
 * process under load fires its timers late, so the replay takes the times
 * from the measured attempts: the k-th boot in seed order at the k-th
 * measured attempt, spread evenly within its second, while the measured
 * attempts are first attempts (see `firstAttemptsEnd`). Boots the measured
 * attempts do not cover keep the fitted start plus their offset.
 */
export function bootTimesOf(offsets: Float64Array, series: readonly SeriesPoint[], faultAtMs: number | null, fleetStartAtMs: number): Float64Array {
  const n = offsets.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => offsets[a] - offsets[b] || a - b);
  const times = new Float64Array(n);
  const lastBootSecond = firstAttemptsEnd(series, faultAtMs);
  let k = 0;
  for (let s = 0; s < lastBootSecond && k < n; s++) {
    const attempts = series[s].attempts;
    for (let j = 0; j < attempts && k < n; j++, k++) times[order[k]] = s * 1000 + ((j + 0.5) / attempts) * 1000;
  }
  for (; k < n; k++) times[order[k]] = fleetStartAtMs + offsets[order[k]];
  return times;
}

/**
 * When the devices saw the fault, scenario ms, ascending: the connections
 * lost in each second from the fault to the restore, each at the start of
 * its second (never before the fault), so the replay loses as many devices
 * in each second as the run did. A hard kill resets every socket "at once",
 * but at a time scale of 20 the few real milliseconds the kernel and the
 * fleet take can carry the losses into the next scenario second; the replay
 * takes the fault as the devices met it, as it takes the fault time itself.
 * A freeze is noticed by heartbeat, when each device's ping timeout runs
 * out; when that is depends on the backend's ping schedule (the reference
 * backend pings the whole fleet in one sweep at scale 60), so the replay
 * takes those notices from the run too.
 */
export function noticeTimesOf(series: readonly SeriesPoint[], faultAtMs: number, restoredAtMs: number): Float64Array {
  const times: number[] = [];
  const last = Math.min(series.length - 1, Math.floor(restoredAtMs / 1000));
  for (let s = Math.floor(faultAtMs / 1000); s <= last; s++) {
    const lost = Object.values(series[s].lost).reduce((sum, n) => sum + n, 0);
    for (let k = 0; k < lost; k++) times.push(Math.max(faultAtMs, s * 1000));
  }
  return Float64Array.from(times);
}

/**
 * When the fleet started, scenario ms. The summary does not record it (the
 * target starts first and takes its own time), but every device's boot
 * offset is known from its seed, so the start is the shift that best lines
 * the predicted boot attempts up with the measured attempts per second
 * (least absolute difference of the cumulative counts, 10 ms steps). Only
 * attempts, never `online`, are used: the fit must not see what is compared.
 */
export function fitFleetStart(sortedBootOffsets: Float64Array, series: readonly SeriesPoint[], faultAtMs: number | null): number {
  const n = sortedBootOffsets.length;
  const lastBootSecond = firstAttemptsEnd(series, faultAtMs);
  const measured: number[] = [];
  let cumulative = 0;
  let first = -1;
  for (let s = 0; s < lastBootSecond; s++) {
    cumulative += series[s].attempts;
    measured.push(cumulative);
    if (first < 0 && cumulative > 0) first = s;
    if (cumulative >= n) break;
  }
  if (first < 0) return 0;
  /** Boot offsets below `ms`. */
  const below = (ms: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sortedBootOffsets[mid] < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // The first attempt fell in second `first`, so the start lies within a
  // second of it (before it, by the smallest boot offset).
  const from = Math.max(0, first * 1000 - 1000);
  const to = (first + 1) * 1000 - sortedBootOffsets[0];
  let best = from;
  let bestCost = Infinity;
  for (let start = from; start <= to; start += 10) {
    let cost = 0;
    for (let s = 0; s < measured.length; s++) cost += Math.abs(measured[s] - below((s + 1) * 1000 - start));
    if (cost < bestCost) {
      bestCost = cost;
      best = start;
    }
  }
  return best;
}

/**
 * The plain plan against a measured run: what `aftershock plan SCENARIO`
 * predicted before the run, from the scenario alone (its fleet, seed, policy
 * and chaos timeline; the plan's default 50 ms service time; the capacity
 * the scenario states, unlimited unless its target has an `acceptRate`),
 * with nothing of the run fed in. The plan starts at the fault
 * with every device online, so it is compared from the run's fault to its
 * end, each measured second against the planned curve within a second
 * either way. `summary.plan` of every run; `summary.model` is the replay.
 */
export interface PlanComparison {
  /** Largest |predicted - measured| devices online at the end of a scenario second, from the fault on; null: no comparison. */
  maxDeviationDevices: number | null;
  maxDeviationPct: number | null;
  /** Start of the scenario second with the largest gap, ms. */
  atMs: number | null;
  /** Where the plan's curve starts: the second the run's fault hit, scenario ms. */
  fromMs: number | null;
  /**
   * Where the gap is measured from, scenario ms: `fromMs`, or for a fault
   * noticed by reset (a hard kill), the second the measured fleet had dropped
   * as far as the plan has it (the plan takes a kill as noticed at once; a
   * real one takes the machine a moment to kill the process and reset its
   * sockets, which the time scale magnifies). Null: no comparison.
   */
  comparedFromMs: number | null;
  /** `comparedFromMs - fault`: how long the measured fleet took to notice the fault as the plan has it; 0 when not a reset fault. */
  noticeLagMs: number | null;
  /** Why there is no comparison. */
  note?: string;
  /** Set when the plan's busiest second after the restore is more, per real second at the run's scale, than this machine connects: the gaps then include the machine's own queue. */
  beyondMachine?: string;
  assumed: { fault: FaultKind | null; outageMs: number | null; serviceTimeMs: number; capacity: AssumedCapacity };
  /** Devices online at the end of each scenario second from `fromMs` on, as planned. */
  predictedOnline: number[];
}

/**
 * Whether the plan's busiest second of attempts after the restore comes,
 * at `timeScale`, faster than this machine connects devices (fleet and
 * reference backend together; see machineConnectsPerSecond). The machine's
 * rule for a run (machine-timing.ts) looks at the fleet's average arrival
 * over its first wait; a policy's retry waves come in bursts above it. At
 * 5,000 devices the plan's busiest second of a hard kill's recovery has 136
 * attempts: 2,720 per real second at scale 20, where the measured waves came
 * 2-3 s behind the plan's (gaps 8.9-9.9%); 1,360 at scale 10 (4.4-5.6%); 680
 * at scale 5 (1.1-1.6%). A rough line, then, as the machine's figure is.
 */
function busiestBeyondMachine(series: readonly SeriesPoint[], restoredAtMs: number, timeScale: number): string | undefined {
  if (!(timeScale > 0)) return undefined;
  let busiest = 0;
  for (let s = Math.floor(restoredAtMs / 1000); s < series.length; s++) busiest = Math.max(busiest, series[s].attempts);
  const perRealSecond = busiest * timeScale;
  if (perRealSecond <= machineConnectsPerSecond) return undefined;
  const keepsUp = Math.max(1, Math.floor(machineConnectsPerSecond / busiest));
  return (
    `the plan's busiest second after the restore has ${busiest} attempts, ${Math.round(perRealSecond).toLocaleString('en-US')} per real second at time scale ${timeScale}, ` +
    `beyond the ~${machineConnectsPerSecond.toLocaleString('en-US')} this machine connects, so the gaps include the machine's own queue; try --time-scale ${keepsUp} or less`
  );
}

/** The longest a reset notice may take the measured fleet before its gap counts, scenario seconds. */
const noticeWindowS = 10;

/** `aftershock plan`'s service time when none is given, scenario ms. */
export const planDefaultServiceTimeMs = 50;

export function comparePlanToRun(scenario: Scenario, summary: RunSummary): PlanComparison {
  const empty = (note: string): PlanComparison => ({
    maxDeviationDevices: null,
    maxDeviationPct: null,
    atMs: null,
    fromMs: null,
    comparedFromMs: null,
    noticeLagMs: null,
    note,
    assumed: { fault: null, outageMs: null, serviceTimeMs: planDefaultServiceTimeMs, capacity: scenarioCapacity(scenario, planDefaultServiceTimeMs).assumed },
    predictedOnline: [],
  });
  try {
    const seconds = summary.series.length;
    if (seconds === 0 || summary.devices === 0) return empty('the run recorded no seconds to compare');
    if (summary.faultAtMs === null) return empty('the run had no fault; the plan predicts a recovery');
    const outage = outageOfChaos(scenario.chaos as unknown as ChaosEventLike[]);
    if (outage === null) return empty('the scenario has no chaos event to plan');
    if ('reason' in outage) return empty(outage.reason);
    const faultAtMs = summary.faultAtMs;
    const capacity = scenarioCapacity(scenario, planDefaultServiceTimeMs);
    const result = runStormModel({
      devices: summary.devices,
      seed: scenario.seed,
      policy: scenario.policy,
      timeouts: runTimeouts(scenario),
      fault: { kind: outage.kind, atMs: 0, outageMs: outage.outageMs, ...(outage.killAfterMs !== undefined ? { killAtMs: outage.killAfterMs } : {}) },
      capacity: capacity.params,
      untilMs: Math.max(1000, seconds * 1000 - faultAtMs),
    });
    const fromSecond = Math.floor(faultAtMs / 1000);
    // Before the fault the plan has every device online; after its end its last count holds.
    const at = (i: number): number => (i < 0 ? summary.devices : ((result.series[i] ?? result.series[result.series.length - 1])?.online ?? summary.devices));
    const predictedOnline: number[] = [];
    const gaps: number[] = [];
    for (let s = fromSecond; s < seconds; s++) {
      // The measured count is at the end of second s; the plan's second that ends at or after the same moment.
      const k = Math.max(0, Math.ceil(((s + 1) * 1000 - faultAtMs) / 1000) - 1);
      const predicted = at(k);
      predictedOnline.push(predicted);
      // Within a second either way, the series' own resolution: at the fault the whole fleet drops within
      // one second, and which side of a second boundary the drop lands on is not a prediction error.
      const measured = summary.series[s].online;
      gaps.push(Math.min(Math.abs(at(k - 1) - measured), Math.abs(predicted - measured), Math.abs(at(k + 1) - measured)));
    }
    // A kill is noticed by reset: from the second the measured fleet is down to the plan's count,
    // if it gets there within noticeWindowS seconds (else from the fault: the gap is the prediction's).
    let skip = 0;
    if (faults[outage.kind].notice === 'reset') {
      const reached = predictedOnline.findIndex((p, i) => i <= noticeWindowS && summary.series[fromSecond + i].online <= p);
      if (reached > 0) skip = reached;
    }
    const beyondMachine = busiestBeyondMachine(result.series, outage.outageMs, summary.timeScale);
    return {
      ...worstGap(gaps.slice(skip), fromSecond + skip, summary.devices),
      ...(beyondMachine ? { beyondMachine } : {}),
      fromMs: fromSecond * 1000,
      comparedFromMs: (fromSecond + skip) * 1000,
      noticeLagMs: skip === 0 ? 0 : Math.max(0, Math.round((fromSecond + skip) * 1000 - faultAtMs)),
      ...(outage.note ? { note: outage.note } : {}),
      assumed: { fault: outage.kind, outageMs: outage.outageMs, serviceTimeMs: planDefaultServiceTimeMs, capacity: capacity.assumed },
      predictedOnline,
    };
  } catch (error) {
    return empty(`the planner failed: ${(error as Error).message}`);
  }
}

/**
 * The headline of a comparison: the largest gap in devices (`gaps[i]` is the
 * gap at the end of second `firstSecond + i`), as a share of the fleet, and
 * the start of the first second where it was that large.
 */
function worstGap(gaps: readonly number[], firstSecond: number, devices: number): { maxDeviationDevices: number; maxDeviationPct: number; atMs: number } {
  let worst = -1;
  let worstAt = 0;
  gaps.forEach((gap, i) => {
    if (gap > worst) {
      worst = gap;
      worstAt = (firstSecond + i) * 1000;
    }
  });
  return { maxDeviationDevices: worst, maxDeviationPct: +((100 * worst) / devices).toFixed(2), atMs: worstAt };
}
