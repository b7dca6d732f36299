import type { RunEvent } from '../reports/run-events.ts';

/** What the reference backend's GET /metrics returns (the fields used here). */
interface BackendMetrics {
  devicesOnline: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
  heapUsedBytes: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

/**
 * Polls the backend's metrics every `everyMs` of real time and emits them as
 * run events. A backend that does not answer within the interval (down,
 * frozen, burning its CPU) is recorded as unreachable: that is data too.
 */
export function sampleBackend(metricsUrl: string, scenarioNow: () => number, emit: (event: RunEvent) => void, everyMs = 500): { stop: () => void } {
  let previous: { cpuUs: number; at: number; pid?: number } | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async (): Promise<void> => {
    const t = scenarioNow();
    try {
      const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(Math.max(100, everyMs - 50)) });
      const m = (await response.json()) as BackendMetrics & { pid?: number };
      const at = performance.now();
      const cpuUs = m.cpuUserUs + m.cpuSystemUs;
      // CPU share of one core over the interval; restarted processes start over.
      const cpuPercent = previous && previous.pid === m.pid && at > previous.at ? Math.max(0, ((cpuUs - previous.cpuUs) / 1000 / (at - previous.at)) * 100) : null;
      previous = { cpuUs, at, pid: m.pid };
      if (!stopped) {
        emit({
          type: 'backend',
          t,
          reachable: true,
          devicesOnline: m.devicesOnline,
          cpuPercent: cpuPercent === null ? null : Math.round(cpuPercent * 10) / 10,
          rssMB: Math.round(m.rssBytes / 1048576),
          heapUsedMB: Math.round(m.heapUsedBytes / 1048576),
          eventLoopDelayP99Ms: m.eventLoopDelayP99Ms,
          eventLoopDelayMaxMs: m.eventLoopDelayMaxMs,
        });
      }
    } catch {
      previous = undefined;
      if (!stopped) emit({ type: 'backend', t, reachable: false });
    }
    if (!stopped) timer = setTimeout(tick, everyMs);
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
