import type { SeriesPoint } from '../../reports/run-collector.ts';

/** The failure causes a modelled attempt can end in (a subset of the fleet's). */
export const modelFailureCauses = ['refused', 'reset', 'connect-timeout', 'handshake-timeout', 'rejected-503'] as const;
export type ModelFailureCause = (typeof modelFailureCauses)[number];
/** Index of each cause in `modelFailureCauses`, for the typed-array hot path. */
export const failureCode: Record<ModelFailureCause, number> = { refused: 0, reset: 1, 'connect-timeout': 2, 'handshake-timeout': 3, 'rejected-503': 4 };

/** How a modelled online device learns its connection is gone. */
export const modelLossCauses = ['close', 'heartbeat-timeout'] as const;
export type ModelLossCause = (typeof modelLossCauses)[number];

/** A growable column of per-second counts. */
class Column {
  values = new Float64Array(64);
  add(second: number, by = 1): void {
    if (second >= this.values.length) this.grow(second);
    this.values[second] += by;
  }
  set(second: number, value: number): void {
    if (second >= this.values.length) this.grow(second);
    this.values[second] = value;
  }
  private grow(second: number): void {
    let size = this.values.length;
    while (size <= second) size *= 2;
    const next = new Float64Array(size);
    next.set(this.values);
    this.values = next;
  }
}

/**
 * Per-second counters of a model run, indexed by scenario second
 * (floor(tMs / 1000)). Columns of typed arrays, turned into the same
 * `SeriesPoint` shape a measured run's summary has, so the two line up.
 */
export class ModelSeries {
  readonly online = new Column();
  readonly attempts = new Column();
  readonly successes = new Column();
  readonly failures = modelFailureCauses.map(() => new Column());
  readonly lost = modelLossCauses.map(() => new Column());
  /** Seconds recorded so far (the next second to close). */
  seconds = 0;

  /** Closes every second up to and including `second`, with `online` devices at its end. */
  closeThrough(second: number, online: number): void {
    for (; this.seconds <= second; this.seconds++) this.online.set(this.seconds, online);
  }

  points(): SeriesPoint[] {
    const points: SeriesPoint[] = [];
    for (let s = 0; s < this.seconds; s++) {
      const failures: Record<string, number> = {};
      const lost: Record<string, number> = {};
      modelFailureCauses.forEach((cause, i) => {
        const n = this.failures[i].values[s] ?? 0;
        if (n > 0) failures[cause] = n;
      });
      modelLossCauses.forEach((cause, i) => {
        const n = this.lost[i].values[s] ?? 0;
        if (n > 0) lost[cause] = n;
      });
      points.push({
        t: s * 1000,
        online: this.online.values[s],
        attempts: this.attempts.values[s] ?? 0,
        successes: this.successes.values[s] ?? 0,
        failures,
        lost,
      });
    }
    return points;
  }
}
