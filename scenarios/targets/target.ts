import type { ChaosWatchdog } from '../../chaos/watchdog/chaos-watchdog.ts';
import type { ManagedProcess } from './managed-process.ts';
import type { TargetContainer } from './target-container.ts';

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
  /**
   * The run's chaos watchdog, when there is one: a target that creates
   * something outside its own process tree (a container) guards its removal
   * here from the moment it exists, so it goes even if the harness dies.
   */
  watchdog?: ChaosWatchdog;
  /** The content origin the backend publishes manifests to (`integrity.origin`); a target that cannot is free to ignore it. */
  originUrl?: string;
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
  /**
   * The backend's container, when the harness started it through the
   * container engine (container chaos needs it); absent for other targets.
   */
  readonly container?: TargetContainer;
  /** The user's commands for kill, freeze and stop, for a backend the harness does not own (external). */
  readonly hooks?: TargetHooks;
  stop(): Promise<void>;
}

/**
 * Faults done by the user's own commands. Contract: `inject` resolves once
 * the command exited 0; `undo` once the undo command exited 0 and, after a
 * kill or stop, the backend is ready again; both reject, naming the command,
 * on failure or timeout.
 */
export interface TargetHooks {
  readonly kill?: { inject(): Promise<void>; undo(): Promise<void> };
  readonly freeze?: { inject(): Promise<void>; undo(): Promise<void> };
  readonly stop?: { inject(): Promise<void>; undo(): Promise<void> };
}

/**
 * Chaos hooks a backend offers by itself. Contract: each call resolves once
 * the backend has accepted the command and rejects with a message naming the
 * target if it has not within a few seconds.
 */
export interface TargetAdmin {
  /** Extra start arguments that make the backend start held closed (devices get 503). */
  readonly holdClosedArgs: readonly string[];
  /**
   * For a backend in a container: a file that, put into the stopped
   * container, makes its next start held closed (a container starts again
   * with the arguments it was created with). Absent: it cannot be held closed.
   */
  readonly holdClosedFile?: string;
  /** Extra start arguments that make the backend listen at a wall-clock time (ms since the epoch), not at once; absent: it cannot. */
  listenAtArgs?(epochMs: number): readonly string[];
  /** Lets devices in after a held-closed start. */
  open(): Promise<void>;
  /** Burns the backend's own CPU at `dutyCycle` for `durationMs` of real time. */
  startCpuHog(dutyCycle: number, durationMs: number): Promise<void>;
  stopCpuHog(): Promise<void>;
}
