/**
 * What the backend can take during recovery. Attempts that reach a running
 * backend queue for it, first come first served: it starts at most
 * `acceptPerSecond` handshakes a second and holds at most `maxInFlight`
 * unfinished ones (queued or being served); each takes `serviceTimeMs`. An
 * attempt waits for its turn at most `queueMs`, and never longer than the
 * device waits for its handshake; one that could not start in that time, or
 * that finds `maxInFlight` unfinished handshakes, meets an overloaded
 * backend, which answers as `overload` says.
 */
export interface CapacityParams {
  /** Handshakes started per second of scenario time; Infinity: unlimited. */
  acceptPerSecond: number;
  /** Unfinished handshakes (queued or in service) at once; Infinity: unlimited. */
  maxInFlight: number;
  /** How long an admitted handshake takes once started, scenario ms. */
  serviceTimeMs: number;
  overload: OverloadBehaviour;
  /**
   * The longest an attempt waits for its turn at the accept rate, scenario
   * ms. Absent: as long as the device waits for its handshake (its handshake
   * timeout less the service time). 0: a rate limiter that answers at once,
   * as aftershock's reference backend does with `--accept-rate`.
   */
  queueMs?: number;
}

/**
 * What an overloaded backend does with an attempt it cannot serve in time.
 * Each sends the device back to its policy, counted under the fleet's
 * failure causes: refuse (a full backlog resets the connection: `refused` at
 * once), timeout (the upgrade never answers: `handshake-timeout` after the
 * device's handshake timeout) or 503 (admission control says no:
 * `rejected-503` at once).
 */
export type OverloadBehaviour = 'refuse' | 'timeout' | '503';
export const overloadBehaviours = ['refuse', 'timeout', '503'] as const satisfies readonly OverloadBehaviour[];

export const unlimitedCapacity: CapacityParams = { acceptPerSecond: Infinity, maxInFlight: Infinity, serviceTimeMs: 0, overload: 'refuse' };

/**
 * The backend's admission queue as a virtual FIFO: no queue is stored, only
 * when the next handshake can start (one every 1/acceptPerSecond) and how
 * many are unfinished. Times are scenario ms.
 * Contract: `admit` and `release` are called in time order (releases before
 * arrivals at the same instant). The FIFO is only exact then: an attempt
 * admitted after a later one queues behind it and may be turned away for a
 * wait it would not have had, and a release handled late keeps a place
 * taken that was free.
 */
export class Admission {
  private readonly spacingMs: number;
  private readonly maxInFlight: number;
  private readonly patienceMs: number;
  private nextStartMs = -Infinity;
  inFlight = 0;
  peakInFlight = 0;

  /** `patienceMs`: the longest an attempt may queue (the device's handshake timeout less the service time). */
  constructor(params: CapacityParams, patienceMs: number) {
    this.spacingMs = params.acceptPerSecond === Infinity ? 0 : 1000 / params.acceptPerSecond;
    this.maxInFlight = params.maxInFlight;
    this.patienceMs = patienceMs;
  }

  /** Admits an attempt arriving at `tMs`: the time its handshake starts, or -1 when the backend is overloaded. */
  admit(tMs: number): number {
    if (this.inFlight >= this.maxInFlight) return -1;
    // Unlimited: nobody waits for anybody.
    if (this.spacingMs === 0) {
      if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
      return tMs;
    }
    const start = Math.max(tMs, this.nextStartMs);
    if (start - tMs > this.patienceMs) return -1;
    this.nextStartMs = start + this.spacingMs;
    if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    return start;
  }

  /** An admitted handshake finished (or died with the backend). */
  release(): void {
    this.inFlight--;
  }
}

/** "2000/s", "120/m", "2000" (per second) or "unlimited": handshakes per second, or undefined when unreadable. */
export function parseRate(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'unlimited' || trimmed === 'inf' || trimmed === 'infinity') return Infinity;
  const match = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min|h))?$/.exec(trimmed);
  if (!match) return undefined;
  const perUnit = Number(match[1]);
  const unit = match[2] ?? 's';
  const seconds = unit.startsWith('s') ? 1 : unit.startsWith('m') ? 60 : 3600;
  const rate = perUnit / seconds;
  return Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

/** "2000/s", "0.5/s", "unlimited". */
export function formatRate(perSecond: number): string {
  if (perSecond === Infinity) return 'unlimited';
  return `${+perSecond.toPrecision(4)}/s`;
}
