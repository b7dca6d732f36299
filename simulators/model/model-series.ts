import type { SeriesPoint } from '../../reports/run-collector.ts';

/** The failure causes a modelled attempt can end in (a subset of the fleet's). */
export const modelFailureCauses = ['refused', 'reset', 'connect-timeout', 'handshake-timeout', 'rejected-503'] as const;
export type ModelFailureCause = (typeof modelFailureCauses)[number];
/** Index of each cause in `modelFailureCauses`, for the typed-array hot path. */
export const failureCode: Record<ModelFailureCause, number> = { refused: 0, reset: 1, 'connect-timeout': 2, 'handshake-timeout': 3, 'rejected-503': 4 };

/** How a modelled online device learns its connection is gone. */
export const modelLossCauses = ['close', 'heartbeat-timeout'] as const;
export type ModelLossCause = (typeof modelLossCauses)[number];

/**
 * Per-second counters of a model run, indexed by scenario second
 * (floor(tMs / 1000)). Plain typed arrays sized once for the whole horizon,
 * so the hot loop increments them without a bounds check of its own; turned
 * into the same `SeriesPoint` shape a measured run's summary has, so the two
 * line up.
 */
export class ModelSeries {
  readonly online: Float64Array;
  readonly attempts: Float64Array;
  readonly successes: Float64Array;
  readonly failures: Float64Array[];
  readonly lost: Float64Array[];
  /** Seconds recorded so far (the next second to close). */
  seconds = 0;

  /** `capacitySeconds`: every second an event can fall in. */
  constructor(capacitySeconds: number) {
    const size = Math.max(1, Math.ceil(capacitySeconds));
    this.online = new Float64Array(size);
    this.attempts = new Float64Array(size);
    this.successes = new Float64Array(size);
    this.failures = modelFailureCauses.map(() => new Float64Array(size));
    this.lost = modelLossCauses.map(() => new Float64Array(size));
  }

  /** Closes every second up to and including `second`, with `online` devices at its end. */
  closeThrough(second: number, online: number): void {
    const last = Math.min(second, this.online.length - 1);
    for (; this.seconds <= last; this.seconds++) this.online[this.seconds] = online;
  }

  points(): SeriesPoint[] {
    const points: SeriesPoint[] = [];
    for (let s = 0; s < this.seconds; s++) {
      const failures: Record<string, number> = {};
      const lost: Record<string, number> = {};
      modelFailureCauses.forEach((cause, i) => {
        const n = this.failures[i][s];
        if (n > 0) failures[cause] = n;
      });
      modelLossCauses.forEach((cause, i) => {
        const n = this.lost[i][s];
        if (n > 0) lost[cause] = n;
      });
      points.push({
        t: s * 1000,
        online: this.online[s],
        attempts: this.attempts[s],
        successes: this.successes[s],
        failures,
        lost,
      });
    }
    return points;
  }
}
