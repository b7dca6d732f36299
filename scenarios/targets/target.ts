import type { ManagedProcess } from './managed-process.ts';

/** Where a started target can be reached. */
export interface TargetEndpoints {
  /** Base URL for devices, e.g. ws://127.0.0.1:4000 (the adapter adds the path). */
  wsBaseUrl: string;
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:4000. */
  httpBaseUrl: string;
}

/** What a run needs to start a target. */
export interface TargetContext {
  runDir: string;
  timeScale: number;
}

/**
 * A backend under test. Contract: `start` resolves only once the target
 * accepts devices, and rejects with an error that names the target, what was
 * awaited and what was seen; the started target's `stop` is idempotent and
 * ends everything `start` started.
 */
export interface Target {
  readonly kind: string;
  readonly description: string;
  start(context: TargetContext): Promise<StartedTarget>;
}

export interface StartedTarget {
  readonly endpoints: TargetEndpoints;
  /** The backend's process, when the harness owns it (process chaos needs it). */
  readonly process?: ManagedProcess;
  stop(): Promise<void>;
}
