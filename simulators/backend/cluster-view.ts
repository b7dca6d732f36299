// Pure: folds what the workers of a multi-process backend say about
// themselves into the answers of /healthz, /metrics and GET /devices/:id,
// so they describe the whole backend, not the worker that served the request.
import type { PeerStats, WorkerDeviceView, WorkerStats } from './backend-peers.ts';

/** GET /metrics of a multi-process backend. */
export interface ClusterMetrics {
  /** The supervisor's pid, as in the ready line. */
  pid: number;
  devicesOnline: number;
  handshakesTotal: number;
  handshakesRejected: number;
  /** Summed over the supervisor and every worker, in µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Summed over the supervisor and every worker. */
  rssBytes: number;
  heapUsedBytes: number;
  /** The worst worker since the previous read, in ms. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** One entry per live worker; `stale: true` if it did not answer in time and its last figures are shown. */
  workers: { pid: number; devicesOnline: number; stale?: true }[];
}

/**
 * Merges the serving worker's own stats (read with process metrics) with its
 * peers'. A stale peer adds its last known counters, CPU and memory, but no
 * loop delay (it cannot say; a worker that does not answer for the stats
 * timeout is itself a sign of a blocked loop, shown by `stale`).
 */
export function mergeMetrics(self: WorkerStats, peers: PeerStats): ClusterMetrics {
  const all = [{ ...self, stale: false }, ...peers.workers].sort((a, b) => a.pid - b.pid);
  const metrics: ClusterMetrics = {
    pid: peers.supervisor.pid,
    devicesOnline: 0,
    handshakesTotal: 0,
    handshakesRejected: 0,
    cpuUserUs: peers.supervisor.cpuUserUs,
    cpuSystemUs: peers.supervisor.cpuSystemUs,
    rssBytes: peers.supervisor.rssBytes,
    heapUsedBytes: peers.supervisor.heapUsedBytes,
    eventLoopDelayP99Ms: 0,
    eventLoopDelayMaxMs: 0,
    workers: [],
  };
  for (const worker of all) {
    metrics.devicesOnline += worker.devicesOnline;
    metrics.handshakesTotal += worker.handshakesTotal;
    metrics.handshakesRejected += worker.handshakesRejected;
    metrics.workers.push(worker.stale ? { pid: worker.pid, devicesOnline: worker.devicesOnline, stale: true } : { pid: worker.pid, devicesOnline: worker.devicesOnline });
    const usage = worker.process;
    if (usage === null) continue;
    metrics.cpuUserUs += usage.cpuUserUs;
    metrics.cpuSystemUs += usage.cpuSystemUs;
    metrics.rssBytes += usage.rssBytes;
    metrics.heapUsedBytes += usage.heapUsedBytes;
    if (worker.stale) continue;
    metrics.eventLoopDelayP99Ms = Math.max(metrics.eventLoopDelayP99Ms, usage.eventLoopDelayP99Ms);
    metrics.eventLoopDelayMaxMs = Math.max(metrics.eventLoopDelayMaxMs, usage.eventLoopDelayMaxMs);
  }
  return metrics;
}

/** Devices online on any worker (a device is on at most one, except briefly while replaced). */
export function sumDevicesOnline(self: WorkerStats, peers: PeerStats): number {
  return peers.workers.reduce((sum, worker) => sum + worker.devicesOnline, self.devicesOnline);
}

/** A device as the whole backend knows it: online or seen anywhere, the newest unwritten ack anywhere. */
export function mergeDeviceViews(views: readonly WorkerDeviceView[]): WorkerDeviceView {
  let pendingAckVersion: number | null = null;
  for (const view of views) {
    if (view.pendingAckVersion !== null && (pendingAckVersion === null || view.pendingAckVersion > pendingAckVersion)) {
      pendingAckVersion = view.pendingAckVersion;
    }
  }
  return {
    online: views.some((view) => view.online),
    seen: views.some((view) => view.seen),
    pendingAckVersion,
  };
}
