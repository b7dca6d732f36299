import { runStormModel, modelTickMs, type StormModelInput } from './storm-model.ts';

/** "99% of devices back within 5 minutes of the restore". */
export interface RecoveryTarget {
  /** Share of devices, percent in (0, 100]. */
  percentile: number;
  /** Scenario ms after the restore. */
  withinMs: number;
}

/** One model run of the search. `ms`: time until the percentile was back, null: not within the target. */
export interface CapacityProbe {
  acceptPerSecond: number;
  ms: number | null;
  met: boolean;
}

export interface FindCapacityResult {
  target: RecoveryTarget;
  /** The smallest accept rate found that meets the target, handshakes/s; null: even unlimited does not. */
  acceptPerSecond: number | null;
  /** What unlimited accept capacity achieves (the policy's own floor). */
  unlimitedMs: number | null;
  /** Every probe, in the order they ran. */
  probes: CapacityProbe[];
  /** The search stops when the bracket is narrower than this ratio. */
  precision: number;
}

/**
 * Searches for the smallest accept rate that brings `target.percentile` % of
 * the devices back within `target.withinMs` of the restore, everything else
 * in `input` unchanged. Assumes that more capacity does not slow recovery
 * (it can, slightly, by changing which device a token goes to; the search
 * then returns a rate that met the target, not necessarily the least), so it
 * brackets the answer by doubling or halving from the rate that would serve
 * that share in that time, then bisects on a log scale to `precision`.
 * Each probe stops simulating at the target time, which keeps a probe of a
 * million devices near a second.
 */
export function findCapacity(input: StormModelInput, target: RecoveryTarget, options: { precision?: number; maxProbes?: number } = {}): FindCapacityResult {
  if (!input.fault) throw new RangeError('findCapacity needs a fault: recovery is measured from the restore');
  const precision = options.precision ?? 0.01;
  const maxProbes = options.maxProbes ?? 40;
  const restoredAtMs = input.fault.atMs + input.fault.outageMs;
  const probes: CapacityProbe[] = [];
  const probe = (acceptPerSecond: number): CapacityProbe => {
    const result = runStormModel({
      ...input,
      capacity: { ...input.capacity, acceptPerSecond },
      keepDeviceTimes: false,
      extraPercentiles: [target.percentile],
      // One tick past the target: a later return cannot meet it anyway.
      untilMs: restoredAtMs + target.withinMs + modelTickMs,
    });
    const ms = result.recoveryAt[0].ms;
    const p = { acceptPerSecond, ms: ms !== null && ms <= target.withinMs ? ms : null, met: ms !== null && ms <= target.withinMs };
    probes.push(p);
    return p;
  };

  const unlimited = probe(Infinity);
  if (!unlimited.met) return { target, acceptPerSecond: null, unlimitedMs: unlimited.ms, probes, precision };

  // The rate that would serve the share in the time if the backend were never idle.
  const devicesNeeded = Math.ceil((target.percentile / 100) * input.devices);
  // Past this rate one burst (100 ms of it) admits every device: as good as unlimited.
  const ceiling = Math.max(1, input.devices * 10);
  const guess = Math.min(ceiling, Math.max(1, devicesNeeded / Math.max(0.001, target.withinMs / 1000)));
  let lo: number;
  let hi: number;
  if (probe(guess).met) {
    hi = guess;
    lo = guess / 2;
    while (lo >= 0.01 && probe(lo).met && probes.length < maxProbes) {
      hi = lo;
      lo /= 2;
    }
  } else {
    lo = guess;
    hi = Math.min(ceiling, guess * 2);
    while (!probe(hi).met && probes.length < maxProbes) {
      lo = hi;
      if (hi >= ceiling) return { target, acceptPerSecond: null, unlimitedMs: unlimited.ms, probes, precision };
      hi = Math.min(ceiling, hi * 2);
    }
  }
  while (hi / lo > 1 + precision && probes.length < maxProbes) {
    const mid = Math.sqrt(lo * hi);
    if (probe(mid).met) hi = mid;
    else lo = mid;
  }
  return { target, acceptPerSecond: hi, unlimitedMs: unlimited.ms, probes, precision };
}

/** "99%@5m" → { percentile: 99, withinMs: 300000 }, or undefined when unreadable. */
export function parseRecoveryTarget(text: string, parseDuration: (text: string) => number | undefined): RecoveryTarget | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*@\s*(\S+)\s*$/.exec(text);
  if (!match) return undefined;
  const percentile = Number(match[1]);
  const withinMs = parseDuration(match[2]);
  if (!(percentile > 0 && percentile <= 100) || withinMs === undefined) return undefined;
  return { percentile, withinMs };
}
