/**
 * A run's phases, each with its own load figures. A storm's headline peak is
 * the one the restored backend must absorb; the boot ramp and the failing
 * attempts of the outage have peaks of their own, shown beside it, named.
 *
 * - boot: from the origin until the fault hits (the whole run if none does)
 * - outage: from the first fault until the backend is back (the last undo)
 * - recovery: from the restore until the last device is back (the run's end if some never are)
 * - steady: after the last device is back
 */
export const phaseNames = ['boot', 'outage', 'recovery', 'steady'] as const;
export type PhaseName = (typeof phaseNames)[number];

/** One phase's figures. Times are scenario ms; handshake latency is real ms. */
export interface PhaseFigures {
  fromMs: number;
  toMs: number;
  attempts: number;
  /**
   * Attempts per second in the busiest 5 seconds of the phase (a window
   * sliding in 100 ms steps; over the whole phase if it is shorter). Five
   * seconds, because a single second's count follows the exact millisecond
   * each device noticed the fault: two runs of one seed differ by 10% in it,
   * by 2% over five seconds. Rounded to 0.1.
   */
  peakPerSecond: number;
  /** Start of that window; null when the phase had no attempts. */
  peakAtMs: number | null;
  /** The most attempts in any single second of the phase (the same sliding window, 1 s wide). */
  maxInOneSecond: number;
  failures: number;
  handshakeMs: { p50: number; p90: number; p99: number; count: number };
}

/** Null for a phase the run did not have (no fault, no restore, devices that never all came back). */
export type RunPhases = Record<PhaseName, PhaseFigures | null>;

/** Bin width of the phase counts, scenario ms: phase bounds are exact to this. */
export const phaseBinMs = 100;
/** The window of `peakPerSecond`, scenario ms. */
export const peakWindowMs = 5000;

/** Attempts, failures and handshakes counted in 100 ms bins of scenario time, for figures over any phase. */
export class PhaseBins {
  private attempts: Uint32Array = new Uint32Array(1024);
  private failures: Uint32Array = new Uint32Array(1024);
  private bins = 0;
  private readonly handshakeT: number[] = [];
  private readonly handshakeMs: number[] = [];

  private bin(t: number): number {
    const index = Math.max(0, Math.floor(t / phaseBinMs));
    if (index >= this.attempts.length) {
      const size = Math.max(index + 1, this.attempts.length * 2);
      const grow = (old: Uint32Array): Uint32Array => {
        const next = new Uint32Array(size);
        next.set(old);
        return next;
      };
      this.attempts = grow(this.attempts);
      this.failures = grow(this.failures);
    }
    this.bins = Math.max(this.bins, index + 1);
    return index;
  }

  /** `count` attempts at scenario time `t` (more than one: a herd of devices in lockstep, as the model moves them). */
  attempt(t: number, count = 1): void {
    // The index first: bin() may replace the array, and `this.attempts[...]` would read the old one.
    const index = this.bin(t);
    this.attempts[index] += count;
  }

  /** `count` failed attempts at scenario time `t`. */
  failure(t: number, count = 1): void {
    const index = this.bin(t);
    this.failures[index] += count;
  }

  handshake(t: number, ms: number): void {
    this.handshakeT.push(t);
    this.handshakeMs.push(ms);
  }

  /** The figures of [fromMs, toMs): bins whose start lies in that span. */
  figures(fromMs: number, toMs: number): PhaseFigures {
    const first = Math.max(0, Math.round(fromMs / phaseBinMs));
    const end = Math.max(first, Math.round(toMs / phaseBinMs));
    // Bins past the last attempt or failure are empty (and past the arrays' end).
    const attemptsIn = (i: number): number => (i < this.bins ? this.attempts[i] : 0);
    let attempts = 0;
    let failures = 0;
    for (let i = first; i < Math.min(end, this.bins); i++) {
      attempts += this.attempts[i];
      failures += this.failures[i];
    }
    const busiest = (windowMs: number): { count: number; at: number | null; bins: number } => {
      const width = Math.min(windowMs / phaseBinMs, end - first);
      let best = 0;
      let at: number | null = null;
      let sum = 0;
      for (let i = first; i < end; i++) {
        sum += attemptsIn(i);
        if (i - first >= width) sum -= attemptsIn(i - width);
        if (sum > best) {
          best = sum;
          at = Math.max(first, i - width + 1) * phaseBinMs;
        }
      }
      return { count: best, at, bins: width };
    };
    const window = busiest(peakWindowMs);
    const peakPerSecond = window.bins === 0 ? 0 : Math.round((window.count / ((window.bins * phaseBinMs) / 1000)) * 10) / 10;
    const lo = first * phaseBinMs;
    const hi = end * phaseBinMs;
    const values: number[] = [];
    for (let i = 0; i < this.handshakeT.length; i++) {
      const t = this.handshakeT[i];
      if (t >= lo && t < hi) values.push(this.handshakeMs[i]);
    }
    const sorted = Float64Array.from(values).sort();
    const at = (p: number): number => (sorted.length === 0 ? 0 : Math.round(sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] * 10) / 10);
    return {
      fromMs: Math.round(fromMs),
      toMs: Math.round(toMs),
      attempts,
      peakPerSecond,
      peakAtMs: window.at,
      maxInOneSecond: busiest(1000).count,
      failures,
      handshakeMs: { p50: at(50), p90: at(90), p99: at(99), count: sorted.length },
    };
  }

  /**
   * Every phase the run had. `recoveredAtMs` is when the last device was back
   * after the restore (null if some never were); `endMs` is the run's last event.
   */
  phases(bounds: { faultAtMs: number | null; restoredAtMs: number | null; recoveredAtMs: number | null; endMs: number }): RunPhases {
    const { faultAtMs, restoredAtMs, recoveredAtMs } = bounds;
    const endMs = Math.max(bounds.endMs, this.bins * phaseBinMs);
    const recoveryEnd = restoredAtMs === null ? null : (recoveredAtMs ?? endMs);
    return {
      boot: this.figures(0, faultAtMs ?? endMs),
      outage: faultAtMs === null ? null : this.figures(faultAtMs, restoredAtMs ?? endMs),
      // The bin in which the last device came back belongs to the recovery.
      recovery: restoredAtMs === null || recoveryEnd === null ? null : this.figures(restoredAtMs, Math.min(endMs, recoveryEnd + phaseBinMs)),
      steady: recoveredAtMs === null || recoveredAtMs + phaseBinMs >= endMs ? null : this.figures(recoveredAtMs + phaseBinMs, endMs),
    };
  }
}

/**
 * The peaks in words, recovery first: "recovery 52/s at 3m42s (81 in its
 * busiest second) · boot 90/s · outage 60/s". `count` formats a number, `at`
 * a scenario time.
 */
export function describePeaks(phases: RunPhases, count: (n: number) => string, at: (ms: number) => string): string {
  const parts: string[] = [];
  for (const name of ['recovery', 'boot', 'outage'] as const) {
    const phase = phases[name];
    if (phase === null) continue;
    const when = name === 'recovery' && phase.peakAtMs !== null ? ` at ${at(phase.peakAtMs)} (${count(phase.maxInOneSecond)} in its busiest second)` : '';
    parts.push(`${name} ${count(phase.peakPerSecond)}/s${when}`);
  }
  return parts.length === 0 ? 'unknown per phase (an older summary)' : `${parts.join(' · ')} (busiest ${peakWindowMs / 1000} s)`;
}
