// How one worker of a multi-process backend reaches the others. Every worker
// serves the whole HTTP API on the shared port, so anything that involves
// devices or state held by other workers goes through these calls (over IPC,
// via the supervisor). A single-process backend has no peers (null).
import type { Content } from './device-protocol.ts';
import type { ProcessMetricsSnapshot } from './process-metrics.ts';

/** A change every worker makes to itself. */
export type WorkerCommand =
  | { kind: 'admission'; open: boolean }
  | { kind: 'cpu-hog'; dutyCycle: number; durationMs: number }
  | { kind: 'cpu-hog-stop' }
  /** Send this assignment to the device if it is online here and has not got this version or a newer one. */
  | { kind: 'push'; deviceId: string; content: Content };

/** What one worker says about itself. */
export interface WorkerStats {
  pid: number;
  devicesOnline: number;
  handshakesTotal: number;
  handshakesRejected: number;
  /** CPU, memory and loop delay; null unless asked for (reading resets the delay histogram). */
  process: ProcessMetricsSnapshot | null;
}

/** What one worker knows about a device. */
export interface WorkerDeviceView {
  online: boolean;
  /** Said hello to this worker since it started. */
  seen: boolean;
  /** Newest ack this worker holds but has not written to the db yet; null if none. */
  pendingAckVersion: number | null;
}

/** Resource usage of the supervisor process (it holds no devices). */
export interface SupervisorUsage {
  pid: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
  heapUsedBytes: number;
}

/** Stats of the other workers, plus the supervisor's own usage. */
export interface PeerStats {
  supervisor: SupervisorUsage;
  /**
   * One entry per other live worker. `stale` marks a worker that did not
   * answer in time (frozen, burning CPU): its counters are the last it gave
   * (zeros if none) and its `process` the last process metrics it gave (null if none).
   */
  workers: (WorkerStats & { stale: boolean })[];
}

/**
 * The other workers of this backend. Contract: every call resolves (never
 * rejects) within a bounded time; a worker that does not answer in time is
 * left out (`device`), reported stale (`stats`) or named in
 * `unconfirmedPids` (`apply`), so one frozen worker cannot hang the API.
 */
export interface BackendPeers {
  /** Applies `command` on every other worker; resolves once all confirmed or the time is up. */
  apply(command: WorkerCommand): Promise<{ unconfirmedPids: number[] }>;
  /** Counters of every other worker; `withProcess` also reads (and resets) their process metrics. */
  stats(withProcess: boolean): Promise<PeerStats>;
  /** What every other worker that answered in time knows about `deviceId`. */
  device(deviceId: string): Promise<WorkerDeviceView[]>;
}
