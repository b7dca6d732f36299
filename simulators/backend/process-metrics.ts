import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';

/** Resource usage of this process, as reported by GET /metrics. */
export interface ProcessMetricsSnapshot {
  /** CPU time in user mode since the process started, in µs. */
  cpuUserUs: number;
  /** CPU time in kernel mode since the process started, in µs. */
  cpuSystemUs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** 99th percentile event-loop delay since the previous read, in ms. */
  eventLoopDelayP99Ms: number;
  /** Largest event-loop delay since the previous read, in ms. */
  eventLoopDelayMaxMs: number;
}

/**
 * Samples CPU, memory and event-loop delay. The delay histogram is reset on
 * every `read`, so each scrape covers exactly the time since the previous one
 * (the harness scrapes at a fixed rate and wants per-interval figures).
 */
export class ProcessMetrics {
  readonly #delay: ELDHistogram;
  readonly #resolutionMs: number;

  /** @param resolutionMs sampling period of the event-loop delay monitor, in ms. */
  constructor(resolutionMs = 10) {
    this.#resolutionMs = resolutionMs;
    this.#delay = monitorEventLoopDelay({ resolution: resolutionMs });
    this.#delay.enable();
  }

  read(): ProcessMetricsSnapshot {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const snapshot: ProcessMetricsSnapshot = {
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      eventLoopDelayP99Ms: this.#delayMs(this.#delay.percentile(99)),
      eventLoopDelayMaxMs: this.#delayMs(this.#delay.max),
    };
    this.#delay.reset();
    return snapshot;
  }

  stop(): void {
    this.#delay.disable();
  }

  /**
   * The monitor records the time between its timer's ticks in ns, so an idle
   * loop reads as the resolution (10 ms), not 0. Subtract it to report the
   * delay proper. With no samples yet the histogram reads 0, which stays 0.
   */
  #delayMs(ns: number): number {
    const delayMs = Math.max(0, ns / 1e6 - this.#resolutionMs);
    return Math.round(delayMs * 1000) / 1000;
  }
}
