/** Longest hog accepted, ms: every chaos is bounded. */
export const MAX_CPU_HOG_MS = 3_600_000;
/** Real ms between the command and the first burn: time for the HTTP reply to leave first. */
export const CPU_HOG_START_DELAY_MS = 20;
/** Length of one burn-and-rest slice below 100% duty, ms. */
const SLICE_MS = 100;

/**
 * Burns this process's event loop, as the incident's backend burned its CPU.
 * At duty cycle 1 the loop is blocked outright until the deadline: nothing
 * is served, pings stop, signals wait (a graceful stop hangs), while the
 * kernel still completes TCP handshakes into the listen backlog. Below 1, each
 * 100 ms slice burns `dutyCycle` of it and rests for the remainder. Always
 * stops by itself at its deadline.
 */
export class CpuHog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private deadline = 0;

  get running(): boolean {
    return this.timer !== undefined || performance.now() < this.deadline;
  }

  /** Starts burning after `startDelayMs` (time for the HTTP reply to leave). */
  start(dutyCycle: number, durationMs: number, startDelayMs = CPU_HOG_START_DELAY_MS): void {
    this.stop();
    const begin = (): void => {
      this.deadline = performance.now() + durationMs;
      this.slice(dutyCycle);
    };
    this.timer = setTimeout(begin, startDelayMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.deadline = 0;
  }

  private slice(dutyCycle: number): void {
    const now = performance.now();
    if (now >= this.deadline) {
      this.stop();
      return;
    }
    const burnUntil = dutyCycle >= 1 ? this.deadline : Math.min(this.deadline, now + SLICE_MS * dutyCycle);
    while (performance.now() < burnUntil) {
      // Busy on purpose: this is the fault.
    }
    const rest = dutyCycle >= 1 ? 0 : SLICE_MS * (1 - dutyCycle);
    this.timer = setTimeout(() => this.slice(dutyCycle), rest);
  }
}
