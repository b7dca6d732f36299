/**
 * `--accept-rate`: at most `perSecond` handshakes admitted per second, evenly
 * spaced, with no burst.
 *
 * The rule is the planner's (simulators/model/capacity-model.ts `Admission`):
 * the first upgrade is admitted at once, and after an admission at t the next
 * is admitted no earlier than t + 1000/perSecond ms; no credit builds up while
 * the backend is idle. Any window of W ms therefore holds at most
 * 1 + floor(W * perSecond / 1000) admissions.
 *
 * One difference: the model lets an attempt queue for its slot for as long
 * as the device would wait for its handshake (its handshake timeout less the
 * service time) and starts it then. The backend cannot know how long a
 * device will wait, so it holds nobody: an upgrade that arrives before the
 * next slot is answered 503 at once. This is the model's rule with a
 * patience of 0 (`queueMs: 0` in its CapacityParams, what the planner
 * assumes for a scenario's `acceptRate`). While attempts come faster than
 * the rate, both start handshakes at the rate; when they are sparser, a slot
 * waits for the first attempt after it opens, and the backend starts fewer
 * (about λμ/(λ+μ) for attempts arriving at random at λ/s against μ/s).
 */
export class AcceptRateLimit {
  readonly perSecond: number;
  readonly #spacingMs: number;
  /** Earliest time the next upgrade may be admitted, monotonic ms. */
  #nextAtMs = -Infinity;
  /** `#nextAtMs` before the last admission, for {@link giveBack}. */
  #previousNextAtMs = -Infinity;

  constructor(perSecond: number) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`accept rate must be a positive number per second, got ${perSecond}`);
    this.perSecond = perSecond;
    this.#spacingMs = 1000 / perSecond;
  }

  /** Admits an upgrade arriving at `nowMs` (monotonic ms, non-decreasing): true when its slot has come. */
  admit(nowMs: number): boolean {
    if (nowMs < this.#nextAtMs) return false;
    this.#previousNextAtMs = this.#nextAtMs;
    this.#nextAtMs = nowMs + this.#spacingMs;
    return true;
  }

  /** Undoes the last admission: the upgrade was never served (a malformed request that ws refused). */
  giveBack(): void {
    this.#nextAtMs = this.#previousNextAtMs;
  }
}
