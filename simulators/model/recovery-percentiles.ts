/** Time from the restore until p% of all devices were back, ms; null: not that many came back. */
export interface ModelRecovery {
  t50: number | null;
  t90: number | null;
  t99: number | null;
  t999: number | null;
  t100: number | null;
}

export const recoveryPercentiles = { t50: 50, t90: 90, t99: 99, t999: 99.9, t100: 100 } as const satisfies Record<keyof ModelRecovery, number>;

/**
 * `times` holds `count` return times (scenario ms) sorted by tick
 * (floor(t / tickMs)) but in arbitrary order within a tick: the order a
 * time-bucketed model produces them in. Picks exact percentiles, measured
 * from `restoredAtMs`, without sorting ten million numbers: only the tick
 * that holds a rank is sorted.
 */
export function pickRecovery(times: Float64Array, count: number, devices: number, tickMs: number, restoredAtMs: number): ModelRecovery {
  const result = {} as ModelRecovery;
  for (const [key, p] of Object.entries(recoveryPercentiles) as [keyof ModelRecovery, number][]) {
    result[key] = pickPercentile(times, count, devices, tickMs, restoredAtMs, p);
  }
  return result;
}

/** One percentile `p` (0-100] of the same times, ms after the restore; null: fewer than p% came back. */
export function pickPercentile(times: Float64Array, count: number, devices: number, tickMs: number, restoredAtMs: number, p: number): number | null {
  // The same rank rule as a measured run's summary: devices that never came
  // back count as infinitely late.
  const rank = Math.max(1, Math.ceil((p / 100) * devices));
  return devices === 0 || rank > count ? null : kth(times, count, rank - 1, tickMs) - restoredAtMs;
}

function kth(times: Float64Array, count: number, index: number, tickMs: number): number {
  const tick = Math.floor(times[index] / tickMs);
  let lo = index;
  let hi = index + 1;
  while (lo > 0 && Math.floor(times[lo - 1] / tickMs) === tick) lo--;
  while (hi < count && Math.floor(times[hi] / tickMs) === tick) hi++;
  const slice = times.slice(lo, hi).sort();
  return slice[index - lo];
}
