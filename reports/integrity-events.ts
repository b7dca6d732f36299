/**
 * Events of a run's integrity checks (scenario `integrity`): the assignment
 * ledger's writes and their check after recovery, and the API load windows.
 * `t` is scenario ms since the run's origin, as for every run event; latency
 * is real ms (physical, not scaled).
 */

/** Why a write was not acknowledged. A failure during an outage is data, not loss. */
export type WriteFailureCause = 'refused' | 'reset' | 'timeout' | 'http-5xx' | 'http-4xx' | 'bad-answer' | 'in-flight-limit' | 'error';

/** The three API load windows: before the first fault, from the last restore (the storm), after every device is back. */
export const apiWindowNames = ['before', 'during', 'after'] as const;
export type ApiWindowName = (typeof apiWindowNames)[number];

/** What autocannon measured in one window. */
export interface ApiWindowResult {
  /** Scenario ms when the window started and ended. */
  startMs: number;
  endMs: number;
  /** Real ms the load ran. */
  realDurationMs: number;
  connections: number;
  /** Requests sent, and answered (any status); the rest were cut off unanswered when the window ended, or failed. */
  sent: number;
  requests: number;
  /** Latency of requests answered 2xx, real ms; null when none was. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Connection errors (refused, reset) and timeouts (autocannon counts timeouts among errors too). */
  errors: number;
  timeouts: number;
  non2xx: number;
}

export type IntegrityEvent =
  | {
      type: 'integrity-start';
      t: number;
      /** Assignments per scenario second while the run writes. */
      writesPerSecond: number;
      /** Whether devices fetch their content from the origin. */
      origin: boolean;
    }
  /** A write the API acknowledged (200 with a version): it must never be lost. */
  | { type: 'assignment'; t: number; device: number; version: number; url: string; latencyMs: number }
  | { type: 'assignment-failed'; t: number; device: number; cause: WriteFailureCause }
  /** The backend's content for a device after recovery (`content: null`: none); `error` when it could not be read. */
  | { type: 'assignment-check'; t: number; device: number; content: { version: number; url: string } | null }
  | { type: 'assignment-check'; t: number; device: number; error: string }
  | ({ type: 'api-load'; t: number; window: ApiWindowName } & ApiWindowResult)
  | { type: 'api-load'; t: number; window: ApiWindowName; error: string };
