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

  /** @param resolutionMs sampling period of the event-loop delay monitor, in ms. */
  constructor(resolutionMs = 10) {
    this.#delay = monitorEventLoopDelay({ resolution: resolutionMs });
    this.#delay.enable();
  }

  read(): ProcessMetricsSnapshot {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    // The histogram records ns; with no samples yet max is 0 and p99 is 0.
    const snapshot: ProcessMetricsSnapshot = {
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      eventLoopDelayP99Ms: nsToMs(this.#delay.percentile(99)),
      eventLoopDelayMaxMs: nsToMs(this.#delay.max),
    };
    this.#delay.reset();
    return snapshot;
  }

  stop(): void {
    this.#delay.disable();
  }
}

function nsToMs(ns: number): number {
  return Math.round(ns / 1e3) / 1e3;
}
