// Messages between the supervisor and its workers over the Node IPC channel
// (JSON). A worker never talks to another worker directly: it asks the
// supervisor, which fans the request out to every other worker and answers
// with what came back in time.
import type { PeerStats, WorkerCommand, WorkerDeviceView, WorkerStats } from './backend-peers.ts';

/** Something one worker wants from all the others. */
export type PeerRequest =
  | { kind: 'command'; command: WorkerCommand }
  | { kind: 'stats'; withProcess: boolean }
  | { kind: 'device'; deviceId: string };

/** A worker's answer to one fanned-out request: null for a command (it is just a confirmation). */
export type PeerAnswer = WorkerStats | WorkerDeviceView | null;

/** What the supervisor tells the asking worker, by request kind. */
export type PeerResult =
  | { kind: 'command'; unconfirmedPids: number[] }
  | { kind: 'stats'; stats: PeerStats }
  | { kind: 'device'; views: WorkerDeviceView[] };

/** worker -> supervisor */
export type WorkerMessage =
  /** Listening on `host`:`port` (the real address, also when port 0 was asked for). */
  | { type: 'listening'; host: string; port: number }
  /** Could not start; `exitCode` 2 = the address or options are unusable, 1 = anything else. The worker exits next. */
  | { type: 'start-failed'; exitCode: 1 | 2; message: string }
  /** Fan `request` out to every other worker and send me the result under `id`. */
  | { type: 'ask'; id: number; request: PeerRequest }
  /** My answer to the supervisor's `do` number `id`. */
  | { type: 'answer'; id: number; answer: PeerAnswer };

/** supervisor -> worker */
export type SupervisorMessage =
  /** Answer `request` about yourself (or apply its command) and reply with `answer` under `id`. */
  | { type: 'do'; id: number; request: PeerRequest }
  /** The result of your `ask` number `id`. */
  | { type: 'result'; id: number; result: PeerResult }
  /** Stop gracefully, as on SIGTERM. */
  | { type: 'stop' };

/**
 * How long the supervisor waits for the other workers, in ms, by request
 * kind. Stats must fit the harness's 500 ms metrics scrape; admin commands
 * and pushes may wait longer for a busy worker.
 */
export const peerTimeoutsMs: Record<PeerRequest['kind'], number> = {
  command: 2000,
  stats: 250,
  device: 1000,
};
