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
  /** Devices the fleet will connect at most; a target may size itself for them (the reference backend starts enough workers). */
  expectedConnections?: number;
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
  /** Controls that need the backend's cooperation (the reference backend has them). */
  readonly admin?: TargetAdmin;
  stop(): Promise<void>;
}

/**
 * Chaos hooks a backend offers by itself. Contract: each call resolves once
 * the backend has accepted the command and rejects with a message naming the
 * target if it has not within a few seconds.
 */
export interface TargetAdmin {
  /** Extra start arguments that make the backend start held closed (devices get 503). */
  readonly holdClosedArgs: readonly string[];
  /** Lets devices in after a held-closed start. */
  open(): Promise<void>;
  /** Burns the backend's own CPU at `dutyCycle` for `durationMs` of real time. */
  startCpuHog(dutyCycle: number, durationMs: number): Promise<void>;
  stopCpuHog(): Promise<void>;
}
