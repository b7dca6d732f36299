import type { SeriesPoint } from '../../reports/run-collector.ts';
import { phaseBinMs, PhaseBins, type PhaseFigures, type PhaseName } from '../../reports/run-phases.ts';
import { deviceBootAfterMs, deviceBootKey, devicePolicyKey, heartbeatChecksPerTimeout } from '../devices/device-streams.ts';
import { createPolicy, drawAt, streamKey, type PolicyParams, type Rng } from '../devices/policy/index.ts';
import { Admission, type CapacityParams } from './capacity-model.ts';
import { faults, type FaultParams } from './fault-model.ts';
import { failureCode, ModelSeries, modelFailureCauses, modelLossCauses, type ModelFailureCause, type ModelLossCause } from './model-series.ts';
import { pickPercentile, pickRecovery, type ModelRecovery } from './recovery-percentiles.ts';

/** The devices' timeouts, scenario ms (as in the scenario's `fleet`). */
export interface ModelTimeouts {
  connectMs: number;
  handshakeMs: number;
  heartbeatMs: number;
  /** How often the backend pings each device; devices' ping phases are spread evenly over it. */
  heartbeatIntervalMs: number;
  /** How often a device checks its heartbeat deadline (default heartbeatMs / heartbeatChecksPerTimeout, as the fleet does). */
  heartbeatCheckEveryMs?: number;
}

/**
 * One model run: a fleet of `devices` through (at most) one outage.
 * Contract: pure and deterministic. The same input gives the same numbers;
 * device i draws its waits from the same stream (seed, i) as device i of a
 * simulated fleet, whatever the number of devices after it.
 */
export interface StormModelInput {
  devices: number;
  seed: string | number;
  policy: PolicyParams;
  timeouts: ModelTimeouts;
  /** The outage; null models the boot alone. */
  fault: FaultParams | null;
  /**
   * For replays of a measured run: when the devices online at the fault saw
   * their connection go, scenario ms, ascending; the k-th online device (by
   * index) notices at the k-th time, never before the fault. Absent: a reset
   * (a hard kill) reaches every one at the fault, and a heartbeat fault (a
   * freeze, a cut) is noticed when each device's ping timeout runs out, its
   * last ping drawn evenly over the ping interval (the plain plan).
   * Devices beyond the list: after a reset they notice at its last time;
   * after a heartbeat fault they did not notice before the restore.
   */
  noticeTimesMs?: Float64Array;
  capacity: CapacityParams;
  /**
   * For replays of a measured run: how long a handshake started at `tMs`
   * took there (scenario ms, at most `maxMs`), in place of the capacity's
   * constant service time.
   */
  serviceTimeAt?: { at: (tMs: number) => number; maxMs: number };
  /**
   * How the fleet starts: booting at uniform times over `rampUpMs` from
   * `startAtMs`, each device's time drawn from its boot stream as the fleet
   * does, or (replays) at `atMs[i]`, the boot a run actually gave device i.
   * Absent: every device is online at time 0.
   */
  boot?: { startAtMs: number; rampUpMs: number; atMs?: Float64Array };
  /** Stop at this scenario time even if devices are still out (default: 24 h after the restore or the boot). */
  untilMs?: number;
  /** Return each device's time back after the restore (for tests; costs 8 bytes per device). */
  keepDeviceTimes?: boolean;
  /** Percentiles (0-100] to report in `recoveryAt` besides the standard ones. */
  extraPercentiles?: readonly number[];
  /** Leave `series` empty: the advisor ranks by totals and phases, and building the points was a tenth of a screening run. */
  omitSeries?: boolean;
}

/**
 * One phase of the model's run: a measured run's figures (reports/run-phases.ts:
 * 100 ms bins, peak over the busiest 5 s) without handshake latency, which
 * the model does not have (its handshakes take the capacity's service time).
 */
export type ModelPhaseFigures = Omit<PhaseFigures, 'handshakeMs'>;

/**
 * The model's phases, bounded as a run's are. boot: from 0 to the fault (the
 * whole run without one); null without a `boot` input, since the fleet then
 * starts online and makes no boot attempts. outage: the fault to the restore.
 * recovery: the restore until the last device is back (restore + t100), or
 * to the model's end if some never were. steady: after that; null when
 * nothing is left after it (the model stops once everyone is settled).
 */
export type ModelPhases = Record<PhaseName, ModelPhaseFigures | null>;

export interface StormModelResult {
  devices: number;
  seed: string | number;
  policy: PolicyParams;
  /** Scenario ms of the fault and of the restore; null without a fault. */
  faultAtMs: number | null;
  restoredAtMs: number | null;
  /** Time from the restore until p% of all devices were back online. */
  recovery: ModelRecovery;
  /** The `extraPercentiles`, in order: ms from the restore until p% were back, null: not reached. */
  recoveryAt: { p: number; ms: number | null }[];
  /**
   * `peakPerSecond` and `peakAtMs` are the recovery phase's (from the restore
   * until the last device is back): attempts per second over its busiest
   * 5 s, and the scenario ms at which that window starts. That is the load
   * the restored backend must absorb; the outage's failing attempts and the
   * boot ramp have peaks of their own, in `phases`. Without a fault there is
   * no recovery phase: 0 and null.
   */
  attempts: { total: number; peakPerSecond: number; peakAtMs: number | null };
  /** Attempts, failures and peaks per phase; see `ModelPhases`. */
  phases: ModelPhases;
  successes: number;
  /** Most handshakes the backend held at once. */
  peakInFlight: number;
  failures: { total: number; byCause: Partial<Record<ModelFailureCause, number>> };
  lost: { total: number; byCause: Partial<Record<ModelLossCause, number>> };
  onlineAtEnd: number;
  /** Devices not online when the model stopped. */
  neverReturned: number;
  /** Scenario ms at which the model stopped (everyone settled, or `untilMs`). */
  endMs: number;
  /** Device events processed (attempts, handshakes, failures, losses). */
  events: number;
  series: SeriesPoint[];
  /** With `keepDeviceTimes`: ms from the restore until device i was back (0: never lost it), NaN: never. */
  deviceBackMs?: Float64Array;
}

/**
 * The event loop's tick, ms. Events are kept in exact time but bucketed by
 * tick (a calendar queue). Against a limited backend a tick's events are
 * handled in time order (a heap per tick), because admission depends on it:
 * an attempt handled after a later one would queue behind it, and a
 * handshake finishing after a later arrival would still hold its place.
 * Against an unlimited backend nothing depends on the order within a tick,
 * so the tick's list is handled as it stands.
 */
export const modelTickMs = 10;
/** Ticks per block of the calendar (a power of two): 10.24 s of scenario time. */
const blockShift = 10;
const blockTicks = 1 << blockShift;

const defaultHorizonMs = 24 * 3600_000;

// Device states. Every state but ONLINE and IN_HERD has exactly one event scheduled, at nextAt.
const ONLINE = 0;
/** Waiting for the next attempt (attempt 0: the boot). */
const WAITING = 1;
/** Admitted by the backend; online at nextAt. */
const HANDSHAKE = 2;
/** The attempt fails at nextAt, with the cause in `cause`. */
const FAILING = 3;
/** Online, but the connection is dead; the heartbeat timeout fires at nextAt. */
const NOTICE = 4;
/** An attempt made during a freeze or network cut, picked up by the backend at the restore. */
const STALLED = 5;
/** One of the herd (see below); its state is the herd's. */
const IN_HERD = 6;

const REFUSED = failureCode.refused;
const RESET = failureCode.reset;
const HANDSHAKE_TIMEOUT = failureCode['handshake-timeout'];
const REJECTED_503 = failureCode['rejected-503'];
const LOST_CLOSE = modelLossCauses.indexOf('close');
const LOST_HEARTBEAT = modelLossCauses.indexOf('heartbeat-timeout');

/**
 * Runs the discrete-event model of a fleet through an outage. No object per
 * device: state lives in typed arrays (about 40 bytes a device) and events
 * in a calendar queue of `modelTickMs` buckets threaded through one Int32Array,
 * so ten million devices fit in well under 2 GiB.
 *
 * The herd: a hard kill drops every online device at the same instant in
 * the same state. While the policy draws nothing (no jitter), they stay in
 * lockstep, so they are kept as one queue entry with a member count instead
 * of a million identical events per retry; the backend takes as many of them
 * as it can at each retry, and they leave the herd one by one. The first
 * wait that draws from the devices' streams breaks the herd up into devices.
 */
export function runStormModel(input: StormModelInput): StormModelResult {
  const n = input.devices;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`devices must be a whole number >= 0, got ${n}`);
  // A NaN here would leave the backend neither down nor up, and the calendar would never drain.
  if (input.fault && !(Number.isFinite(input.fault.atMs) && Number.isFinite(input.fault.outageMs) && input.fault.outageMs >= 0)) {
    throw new RangeError(`fault needs a finite time and an outage >= 0, got at ${input.fault.atMs} ms for ${input.fault.outageMs} ms`);
  }
  const w = modelTickMs;
  const { timeouts, capacity, fault } = input;
  const policy = createPolicy(input.policy);
  const behaviour = fault ? faults[fault.kind] : null;
  const faultAt = fault ? fault.atMs : Infinity;
  const restoreAt = fault ? fault.atMs + fault.outageMs : Infinity;
  // A freeze ended by a kill (the Nov 4 incident): from the kill on, the outage refuses.
  const killAt = fault?.killAtMs ?? Infinity;
  const outageTimeoutMs = behaviour?.attemptTimeout === 'connect' ? timeouts.connectMs : behaviour?.attemptTimeout === 'handshake' ? timeouts.handshakeMs : 0;
  if (fault?.killAtMs !== undefined && !(outageTimeoutMs > 0 && killAt >= faultAt && killAt < restoreAt)) {
    throw new RangeError(`killAtMs needs a freeze or a network cut and a time inside its outage [${faultAt}, ${restoreAt}) ms, got ${fault.killAtMs} ms for a ${fault.kind}`);
  }
  /** From this time on the outage refuses at once: all of a hard kill's, a freeze's from its kill. */
  const refuseFrom = outageTimeoutMs === 0 ? faultAt : killAt;
  const attemptCode = behaviour ? failureCode[behaviour.attemptCause] : REFUSED;
  const noticeTimes = behaviour?.notice === 'reset' ? input.noticeTimesMs : undefined;
  const inFlightCode = behaviour ? failureCode[behaviour.inFlightCause] : RESET;
  const heartbeatCheckMs = timeouts.heartbeatCheckEveryMs ?? timeouts.heartbeatMs / heartbeatChecksPerTimeout;
  const serviceMs = capacity.serviceTimeMs;
  const serviceAt = input.serviceTimeAt?.at;
  const overload = capacity.overload;
  // An attempt may queue as long as the backend holds it, and never longer than the device would wait for its handshake.
  const admission = new Admission(capacity, Math.min(capacity.queueMs ?? Infinity, timeouts.handshakeMs - capacity.serviceTimeMs));
  const boot = input.boot;

  // Per-device state, one 32-byte record per device (index n is the herd's
  // queue entry): events handled in time order land on devices in no order
  // at all, and one record is one cache line where a typed array per field
  // would be six. Views and offsets, in units of each view:
  //   f64[4i] next event time, f64[4i+1] the policy's last wait,
  //   u32[8i+4] attempt, u32[8i+5] draws from the policy stream,
  //   u8[32i+28] state, u8[32i+29] failure cause (bytes 24-27 unused; the
  //   calendar's links are kept apart, in `links`).
  const HERD = n;
  const records = new ArrayBuffer((n + 1) * 32);
  const f64 = new Float64Array(records);
  const u32 = new Uint32Array(records);
  const u8 = new Uint8Array(records);
  // Named fields of the record (small enough for the JIT to inline).
  const stateOf = (i: number): number => u8[i * 32 + 28];
  const setState = (i: number, value: number): void => void (u8[i * 32 + 28] = value);
  const causeOf = (i: number): number => u8[i * 32 + 29];
  const setCause = (i: number, value: number): void => void (u8[i * 32 + 29] = value);
  const nextAtOf = (i: number): number => f64[i * 4];
  const previousDelayOf = (i: number): number => f64[i * 4 + 1];
  /** The attempt a device is at and the wait the policy gave it (0 and 0 after a success or a loss). */
  const setAttempt = (i: number, attemptNumber: number, delayMs: number): void => {
    u32[i * 8 + 4] = attemptNumber;
    f64[i * 4 + 1] = delayMs;
  };
  // The calendar's links in an array of their own: walking a bucket chases them from
  // device to device, and 4 bytes a device stay in cache where 32-byte records do not.
  const links = new Int32Array(n + 1);
  const nextInBucket = (i: number): number => links[i];
  const link = (i: number, nextDevice: number): void => void (links[i] = nextDevice);
  const backTimes = new Float64Array(fault ? n : 0);
  let backCount = 0;
  const deviceBack = input.keepDeviceTimes ? new Float64Array(n).fill(Number.NaN) : undefined;

  // The policy draws from the current device's stream: one closure for the
  // whole fleet, a draw counter per device.
  const policyKey = devicePolicyKey(input.seed);
  let current = 0;
  const rng: Rng = () => drawAt(policyKey, current, u32[current * 8 + 5]++);
  // Model-only stream: where in its ping interval each device was when the fault hit.
  const heartbeatKey = streamKey(input.seed, 'model-heartbeat');

  // The calendar queue: a ring of buckets, each a linked list through `next`.
  // An attempt planned during the outage may jump past it (see `planFrom`):
  // a wait begun up to one longest wait before the fault lands in it, and the
  // outage is played through to one more wait (and attempt timeout) past its end.
  const maxAheadMs =
    (fault ? fault.outageMs + policy.maxDelayMs + Math.max(timeouts.connectMs, timeouts.handshakeMs) : 0) +
    Math.max(policy.maxDelayMs, timeouts.connectMs, timeouts.handshakeMs, Math.max(serviceMs, input.serviceTimeAt?.maxMs ?? 0), timeouts.heartbeatMs + heartbeatCheckMs, boot ? lastBootMs(boot) : 0) +
    2 * w;
  // Whole blocks of ticks, so that a block's buckets are one range of the ring.
  const ring = Math.ceil((Math.ceil(maxAheadMs / w) + 2) / blockTicks) * blockTicks;
  const head = new Int32Array(ring).fill(-1);
  /** Events listed in each block's buckets: an empty block is skipped whole (see the tick loop). */
  const listedInBlock = new Int32Array(ring / blockTicks);
  let bucket = 0;
  // In time order (see modelTickMs): the current bucket's events move into
  // a binary heap of device indices while it is drained, and whatever is
  // scheduled into it meanwhile goes straight into the heap.
  const inTimeOrder = capacity.acceptPerSecond !== Infinity || capacity.maxInFlight !== Infinity;
  // Each entry's time is kept beside it, so that sifting reads the heap
  // alone, not a device record (a cache miss) per comparison.
  let heap = new Int32Array(inTimeOrder ? 1024 : 0);
  let heapAt = new Float64Array(heap.length);
  let heapSize = 0;
  /** The bucket being drained in time order; -1: none. */
  let orderedBucket = -1;
  let pending = 0;
  let events = 0;

  const settledFrom = fault ? restoreAt : boot ? lastBootMs(boot) : 0;
  const untilMs = input.untilMs ?? settledFrom + defaultHorizonMs;
  // Events are handled before untilMs, but the outage is played out ahead
  // (see planFrom) and a failure may land a timeout later.
  const series = new ModelSeries(Math.max(untilMs, Number.isFinite(restoreAt) ? restoreAt : 0) / 1000 + maxAheadMs / 1000 + 2);
  let online = 0;
  let attemptsTotal = 0;
  let successes = 0;
  let failuresTotal = 0;
  let lostTotal = 0;

  // Every attempt and failure at its exact time, for the figures per phase.
  const bins = new PhaseBins();

  // The hot loops' columns, looked up once.
  const attemptsBySecond = series.attempts;
  const outageFailuresBySecond = series.failures[attemptCode];
  const refusedBySecond = series.failures[REFUSED];
  // planFrom's count of a refusing outage's attempts, per 100 ms bin up to the restore.
  const refusedByBin = new Uint32Array(fault && Number.isFinite(refuseFrom) ? Math.ceil(restoreAt / phaseBinMs) + 1 : 0);

  const schedule = (i: number, t: number): void => {
    const b = Math.floor(t / w);
    if (b - bucket >= ring - 1) throw new Error(`model: an event ${t - bucket * w} ms ahead exceeds the calendar (${maxAheadMs} ms); a policy returned more than its maxDelayMs`);
    f64[i * 4] = t; // the one writer of the next event time
    pending++;
    if (b === orderedBucket) {
      heapPush(i);
      return;
    }
    listIn(b % ring, i);
  };
  /** Puts device i at the head of bucket `slot`'s list, counted in its block. */
  const listIn = (slot: number, i: number): void => {
    link(i, head[slot]);
    head[slot] = i;
    listedInBlock[slot >> blockShift]++;
  };
  /**
   * Whether the event of device i at `ti` comes before that of device j at
   * `tj`: the earlier time; at the same instant a finishing handshake
   * first, so that it no longer holds a place when an attempt arrives.
   */
  const earlier = (ti: number, i: number, tj: number, j: number): boolean =>
    ti < tj || (ti === tj && stateOf(i) === HANDSHAKE && stateOf(j) !== HANDSHAKE);
  const heapPush = (i: number): void => {
    if (heapSize === heap.length) {
      const grown = new Int32Array(heap.length * 2);
      const grownAt = new Float64Array(grown.length);
      grown.set(heap);
      grownAt.set(heapAt);
      heap = grown;
      heapAt = grownAt;
    }
    const t = f64[i * 4];
    let k = heapSize++;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!earlier(t, i, heapAt[parent], heap[parent])) break;
      heap[k] = heap[parent];
      heapAt[k] = heapAt[parent];
      k = parent;
    }
    heap[k] = i;
    heapAt[k] = t;
  };
  const heapPop = (): number => {
    const top = heap[0];
    const last = heap[--heapSize];
    const lastAt = heapAt[heapSize];
    let k = 0;
    for (;;) {
      let child = 2 * k + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && earlier(heapAt[child + 1], heap[child + 1], heapAt[child], heap[child])) child++;
      if (!earlier(heapAt[child], heap[child], lastAt, last)) break;
      heap[k] = heap[child];
      heapAt[k] = heapAt[child];
      k = child;
    }
    heap[k] = last;
    heapAt[k] = lastAt;
    return top;
  };
  const down = (t: number): boolean => t >= faultAt && t < restoreAt;

  /** The policy's next wait for device i, advancing its attempt count. */
  const delayOf = (i: number): number => {
    const a = u32[i * 8 + 4] + 1;
    current = i;
    const delayMs = policy.nextDelayMs(a, previousDelayOf(i), rng);
    setAttempt(i, a, delayMs);
    return delayMs;
  };
  /** Back to the policy: plan the next attempt. */
  const wait = (i: number, t: number): void => planFrom(i, t + delayOf(i));
  /**
   * Queues device i's attempt at `at`. Attempts that fall inside the outage
   * meet a backend that answers nobody, whatever the other devices do, so
   * they are played out here in a tight loop instead of one queue event
   * each: the first attempt after the restore (or one the restore picks up)
   * is all that is queued.
   */
  const planFrom = (i: number, at: number): void => {
    while (down(at) && at < refuseFrom) {
      // A freeze (or a cut): the attempt hangs until its timeout, the kill or the restore.
      events++;
      attemptsBySecond[(at / 1000) | 0]++;
      attemptsTotal++;
      bins.attempt(at);
      const failedAt = at + outageTimeoutMs;
      if (killAt <= failedAt) {
        // The kill resets the connection it hangs on.
        failLater(i, killAt, RESET);
        return;
      }
      if (restoreAt <= failedAt) {
        setState(i, STALLED);
        schedule(i, restoreAt);
        return;
      }
      outageFailuresBySecond[(failedAt / 1000) | 0]++;
      failuresTotal++;
      bins.failure(failedAt);
      at = failedAt + delayOf(i);
    }
    if (down(at)) {
      // A refusing outage: every attempt fails where it is made. The tight
      // loop keeps the device's attempt and last wait in locals and counts
      // into one array of 100 ms bins (attempts and failures alike), which
      // `flushRefused` adds to the figures once; this loop is most of a
      // long hard kill's work.
      let attempt = u32[i * 8 + 4];
      let previous = previousDelayOf(i);
      let count = 0;
      current = i;
      do {
        refusedByBin[(at / phaseBinMs) | 0]++;
        count++;
        previous = policy.nextDelayMs(++attempt, previous, rng);
        at += previous;
      } while (at < restoreAt);
      setAttempt(i, attempt, previous);
      events += count;
      attemptsTotal += count;
      failuresTotal += count;
    }
    setState(i, WAITING);
    schedule(i, at);
  };
  /** Adds the refusing outage's attempts, counted per 100 ms bin by `planFrom`, to the series and the phase bins. */
  const flushRefused = (): void => {
    for (let b = 0; b < refusedByBin.length; b++) {
      const count = refusedByBin[b];
      if (count === 0) continue;
      const t = b * phaseBinMs;
      attemptsBySecond[(t / 1000) | 0] += count;
      refusedBySecond[(t / 1000) | 0] += count;
      bins.attempt(t, count);
      bins.failure(t, count);
    }
  };
  const failNow = (i: number, t: number, code: number): void => {
    series.failures[code][(t / 1000) | 0]++;
    failuresTotal++;
    bins.failure(t);
    wait(i, t);
  };
  const failLater = (i: number, t: number, code: number): void => {
    setState(i, FAILING);
    setCause(i, code);
    schedule(i, t);
  };
  const lose = (i: number, t: number, lossCode: number): void => {
    series.lost[lossCode][(t / 1000) | 0]++;
    lostTotal++;
    online--;
    setAttempt(i, 0, 0);
    wait(i, t);
  };
  /** An attempt (or a handshake) meets the backend while it is unreachable. */
  const unreachable = (i: number, t: number, code: number): void => {
    if (outageTimeoutMs === 0) failNow(i, t, code);
    else if (t >= killAt) failNow(i, t, REFUSED);
    else if (killAt <= t + outageTimeoutMs) failLater(i, killAt, RESET);
    else if (restoreAt <= t + outageTimeoutMs) {
      setState(i, STALLED);
      schedule(i, restoreAt);
    } else failLater(i, t + outageTimeoutMs, code);
  };
  const reach = (i: number, t: number): void => {
    if (down(t)) unreachable(i, t, attemptCode);
    else {
      const start = admission.admit(t);
      if (start >= 0) {
        setState(i, HANDSHAKE);
        schedule(i, start + (serviceAt ? serviceAt(start) : serviceMs));
      } else overloaded(i, t);
    }
  };
  const overloaded = (i: number, t: number): void => {
    if (overload === 'refuse') failNow(i, t, REFUSED);
    else if (overload === '503') failNow(i, t, REJECTED_503);
    else failLater(i, t + timeouts.handshakeMs, HANDSHAKE_TIMEOUT);
  };
  const handle = (i: number, t: number): void => {
    events++;
    switch (stateOf(i)) {
      case WAITING:
        attemptsBySecond[(t / 1000) | 0]++;
        attemptsTotal++;
        bins.attempt(t);
        reach(i, t);
        break;
      case STALLED:
        reach(i, t);
        break;
      case HANDSHAKE:
        admission.release();
        if (down(t)) {
          // The backend failed under this handshake.
          if (inFlightCode === RESET) failNow(i, t, RESET);
          else unreachable(i, t, inFlightCode);
        } else {
          setState(i, ONLINE);
          online++;
          successes++;
          series.successes[(t / 1000) | 0]++;
          setAttempt(i, 0, 0);
          if (t >= restoreAt) {
            backTimes[backCount++] = t;
            if (deviceBack) deviceBack[i] = t - restoreAt;
          }
        }
        break;
      case FAILING:
        failNow(i, t, causeOf(i));
        break;
      case NOTICE:
        lose(i, t, causeOf(i));
        break;
    }
  };

  // The herd: members[0, herdSize) share attempt, previous delay and queue entry HERD.
  const members = new Int32Array(behaviour?.notice === 'reset' && outageTimeoutMs === 0 && !noticeTimes ? n : 0);
  let herdSize = 0;
  let herdAttempt = 0;
  let herdPrevious = 0;
  let herdDrew = false;
  /** Peeks at the last member's stream without consuming it: if the policy draws, the herd breaks up and each member draws for itself. */
  const herdRng: Rng = () => {
    herdDrew = true;
    const probe = members[herdSize - 1];
    return drawAt(policyKey, probe, u32[probe * 8 + 5]);
  };
  /** Members leave the herd as devices in its state: back to the policy at `t`, each on its own stream. */
  const breakHerd = (t: number): void => {
    for (let k = 0; k < herdSize; k++) {
      const i = members[k];
      setAttempt(i, herdAttempt, herdPrevious);
      wait(i, t);
    }
    herdSize = 0;
  };
  /** The herd goes back to the policy at `t`: its next attempt, played through the outage like a device's. */
  const herdWait = (t: number): void => {
    let at = t;
    for (;;) {
      herdDrew = false;
      const delayMs = policy.nextDelayMs(herdAttempt + 1, herdPrevious, herdRng);
      if (herdDrew) {
        breakHerd(at);
        return;
      }
      herdAttempt++;
      herdPrevious = delayMs;
      at += delayMs;
      if (!down(at)) break;
      // Only a hard kill makes a herd, and its outage refuses at once.
      events++;
      series.attempts[(at / 1000) | 0] += herdSize;
      attemptsTotal += herdSize;
      bins.attempt(at, herdSize);
      series.failures[attemptCode][(at / 1000) | 0] += herdSize;
      failuresTotal += herdSize;
      bins.failure(at, herdSize);
    }
    setState(HERD, WAITING);
    schedule(HERD, at);
  };
  const handleHerd = (t: number): void => {
    events++;
    let failing = herdSize;
    let code = causeOf(HERD);
    if (stateOf(HERD) === WAITING) {
      series.attempts[(t / 1000) | 0] += herdSize;
      attemptsTotal += herdSize;
      bins.attempt(t, herdSize);
      if (down(t)) {
        code = attemptCode;
      } else {
        // As many as the backend takes leave the herd, in handshake.
        while (herdSize > 0) {
          const start = admission.admit(t);
          if (start < 0) break;
          const i = members[--herdSize];
          setAttempt(i, herdAttempt, herdPrevious);
          setState(i, HANDSHAKE);
          schedule(i, start + (serviceAt ? serviceAt(start) : serviceMs));
        }
        failing = herdSize;
        if (failing === 0) return;
        if (overload === 'timeout') {
          setState(HERD, FAILING);
          setCause(HERD, HANDSHAKE_TIMEOUT);
          schedule(HERD, t + timeouts.handshakeMs);
          return;
        }
        code = overload === '503' ? REJECTED_503 : REFUSED;
      }
    }
    series.failures[code][(t / 1000) | 0] += failing;
    failuresTotal += failing;
    bins.failure(t, failing);
    herdWait(t);
  };

  /** Handles the current bucket's events before `limitMs`, leaving later ones in it. */
  const drain = (limitMs: number): void => {
    if (inTimeOrder) drainInTimeOrder(limitMs);
    else drainAsListed(limitMs);
  };
  const drainInTimeOrder = (limitMs: number): void => {
    const slot = bucket % ring;
    let listed = 0;
    for (let i = head[slot]; i !== -1; i = nextInBucket(i)) {
      heapPush(i);
      listed++;
    }
    head[slot] = -1;
    listedInBlock[slot >> blockShift] -= listed;
    orderedBucket = bucket;
    while (heapSize > 0 && heapAt[0] < limitMs) {
      const t = heapAt[0];
      const i = heapPop();
      pending--;
      if (i === HERD) handleHerd(t);
      else handle(i, t);
    }
    orderedBucket = -1;
    // At or after the limit (a fault or a restore within this tick): back in the bucket for the next drain.
    while (heapSize > 0) listIn(slot, heap[--heapSize]);
  };
  const drainAsListed = (limitMs: number): void => {
    const slot = bucket % ring;
    let deferred = -1;
    let deferredCount = 0;
    for (let i = head[slot]; i !== -1; i = head[slot]) {
      head[slot] = nextInBucket(i);
      listedInBlock[slot >> blockShift]--;
      const t = nextAtOf(i);
      if (t >= limitMs) {
        link(i, deferred);
        deferred = i;
        deferredCount++;
        continue;
      }
      pending--;
      if (i === HERD) handleHerd(t);
      else handle(i, t);
    }
    head[slot] = deferred;
    listedInBlock[slot >> blockShift] += deferredCount;
  };

  const onFault = (): void => {
    const t = faultAt;
    if (behaviour!.notice === 'reset') {
      // Every online device drops now, in the same state: a herd if the policy lets it be one.
      let k = 0;
      for (let i = 0; i < n; i++) {
        if (stateOf(i) !== ONLINE) continue;
        if (noticeTimes && noticeTimes.length > 0) {
          // (Within the calendar's reach: a replay's notices come seconds after the fault.)
          const noticeAt = Math.min(noticeTimes[Math.min(k++, noticeTimes.length - 1)], t + maxAheadMs - 2 * w);
          if (noticeAt > t) {
            setState(i, NOTICE);
            setCause(i, LOST_CLOSE);
            schedule(i, noticeAt);
            continue;
          }
        }
        series.lost[LOST_CLOSE][(t / 1000) | 0]++;
        lostTotal++;
        online--;
        setAttempt(i, 0, 0);
        if (members.length > 0) {
          setState(i, IN_HERD);
          members[herdSize++] = i;
        } else wait(i, t);
      }
      herdAttempt = 0;
      herdPrevious = 0;
      if (herdSize > 0) herdWait(t);
      return;
    }
    const measured = input.noticeTimesMs;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (stateOf(i) !== ONLINE) continue;
      // The device last heard a ping somewhere in the interval before the
      // fault, and notices at its first check after the timeout ran out;
      // a replay takes the run's own notices instead.
      let noticeAt: number;
      if (measured) {
        if (k >= measured.length) continue;
        noticeAt = Math.min(Math.max(t, measured[k++]), t + maxAheadMs - 2 * w);
      } else {
        const lastPingAt = t - drawAt(heartbeatKey, i, 0) * timeouts.heartbeatIntervalMs;
        noticeAt = Math.max(t, lastPingAt + timeouts.heartbeatMs + drawAt(heartbeatKey, i, 1) * heartbeatCheckMs);
      }
      // Killed before it noticed: the kill closes the connection.
      if (noticeAt >= killAt) {
        setState(i, NOTICE);
        setCause(i, LOST_CLOSE);
        schedule(i, killAt);
        continue;
      }
      // Back before it noticed: the connection simply carries on.
      if (noticeAt >= restoreAt) continue;
      setState(i, NOTICE);
      setCause(i, LOST_HEARTBEAT);
      schedule(i, noticeAt);
    }
  };
  const onRestore = (): void => {
    for (let i = 0; i < n; i++) {
      if (stateOf(i) !== ONLINE) continue;
      backTimes[backCount++] = restoreAt;
      if (deviceBack) deviceBack[i] = 0;
    }
  };
  const globals: { at: number; apply: () => void }[] = fault
    ? [
        { at: faultAt, apply: onFault },
        { at: restoreAt, apply: onRestore },
      ]
    : [];

  if (boot) {
    const bootKey = deviceBootKey(input.seed);
    for (let i = 0; i < n; i++) {
      setState(i, WAITING);
      schedule(i, boot.atMs ? boot.atMs[i] : boot.startAtMs + deviceBootAfterMs(bootKey, i, boot.rampUpMs));
    }
  } else {
    online = n;
  }
  let g = 0;
  let endMs = 0;
  for (;; bucket++) {
    // A long refusing outage's attempts are played out ahead (see planFrom), which
    // leaves its ticks empty: 144,000 for 24 minutes, most of a screening run's
    // look at each. A block of them with nothing listed and no fault or restore is
    // passed over whole (its seconds closed as they pass).
    while (bucket % blockTicks === 0 && pending > 0 && listedInBlock[(bucket % ring) >> blockShift] === 0) {
      const blockEnd = (bucket + blockTicks) * w;
      if (blockEnd > untilMs || (g < globals.length && globals[g].at < blockEnd)) break;
      bucket += blockTicks;
      series.closeThrough(Math.floor(blockEnd / 1000) - 1, online);
    }
    const end = (bucket + 1) * w;
    // An empty tick costs a look at its bucket; the drain costs more.
    if (head[bucket % ring] !== -1 || (g < globals.length && globals[g].at < end)) {
      while (g < globals.length && globals[g].at < end) {
        drain(globals[g].at);
        globals[g].apply();
        g++;
      }
      drain(Infinity);
    }
    if (end % 1000 === 0) series.closeThrough(end / 1000 - 1, online);
    if ((pending === 0 && g === globals.length) || end >= untilMs) {
      endMs = end;
      series.closeThrough(Math.ceil(end / 1000) - 1, online);
      break;
    }
  }

  flushRefused();
  const points = input.omitSeries ? [] : series.points();
  const recovery = fault ? pickRecovery(backTimes, backCount, n, w, restoreAt) : { t50: null, t90: null, t99: null, t999: null, t100: null };
  const phases = modelPhases(bins, {
    boot: boot !== undefined,
    faultAtMs: fault ? faultAt : null,
    restoredAtMs: fault ? restoreAt : null,
    recoveredAtMs: fault && recovery.t100 !== null ? restoreAt + recovery.t100 : null,
    endMs,
  });
  const sumCauses = <C extends string>(causes: readonly C[], columns: Float64Array[]): Partial<Record<C, number>> => {
    const result: Partial<Record<C, number>> = {};
    causes.forEach((c, k) => {
      let total = 0;
      for (const v of columns[k]) total += v;
      if (total > 0) result[c] = total;
    });
    return result;
  };

  return {
    devices: n,
    seed: input.seed,
    policy: input.policy,
    faultAtMs: fault ? faultAt : null,
    restoredAtMs: fault ? restoreAt : null,
    recovery,
    recoveryAt: (input.extraPercentiles ?? []).map((p) => ({ p, ms: fault ? pickPercentile(backTimes, backCount, n, w, restoreAt, p) : null })),
    attempts: { total: attemptsTotal, peakPerSecond: phases.recovery?.peakPerSecond ?? 0, peakAtMs: phases.recovery?.peakAtMs ?? null },
    phases,
    successes,
    peakInFlight: admission.peakInFlight,
    failures: { total: failuresTotal, byCause: sumCauses(modelFailureCauses, series.failures) },
    lost: { total: lostTotal, byCause: sumCauses(modelLossCauses, series.lost) },
    onlineAtEnd: online,
    neverReturned: n - online,
    endMs,
    events,
    series: points,
    ...(deviceBack ? { deviceBackMs: deviceBack } : {}),
  };
}

/** A run's phases over the model's bins, less what the model does not have: handshake latency, and a boot when the fleet starts online. */
function modelPhases(
  bins: PhaseBins,
  bounds: { boot: boolean; faultAtMs: number | null; restoredAtMs: number | null; recoveredAtMs: number | null; endMs: number },
): ModelPhases {
  const phases = bins.phases(bounds);
  const figures = (phase: PhaseFigures | null): ModelPhaseFigures | null => {
    if (phase === null) return null;
    const { handshakeMs: _none, ...rest } = phase;
    return rest;
  };
  return {
    boot: bounds.boot ? figures(phases.boot) : null,
    outage: figures(phases.outage),
    recovery: figures(phases.recovery),
    steady: figures(phases.steady),
  };
}

/** The latest a device of this boot can boot, scenario ms. */
function lastBootMs(boot: NonNullable<StormModelInput['boot']>): number {
  let last = boot.startAtMs + boot.rampUpMs;
  if (boot.atMs) for (const t of boot.atMs) last = Math.max(last, t);
  return last;
}
