import type { StartedTarget } from '../scenarios/targets/target.ts';
import type { ChaosWatchdog } from './watchdog/chaos-watchdog.ts';

/** What an injector may act on. */
export interface InjectorContext {
  target: StartedTarget;
  /** Real time runs this many times faster than scenario time. */
  timeScale: number;
  /** The run folder (logs of chaos processes go here). */
  runDir: string;
  /** Registers undo actions that run even if the harness is killed. */
  watchdog: ChaosWatchdog;
  /** The Toxiproxy proxy in front of the target, when the scenario has network chaos. */
  proxy?: { apiUrl: string; name: string };
  /** Records a step inside a fault on the run's timeline, e.g. "forced with SIGKILL". */
  note(detail: string): void;
}

/**
 * One fault. Contract: `inject` resolves once the fault is in effect (or
 * rejects, leaving nothing behind that `undo` would not clear); `undo`
 * resolves once it is undone, is idempotent, and is safe to call when
 * `inject` failed half way or never ran. Anything an injector leaves in
 * effect between the two it registers with the watchdog first, so that it is
 * undone even if the harness dies. The runner calls `undo` at the event's
 * scheduled end and on every exit path, so every fault is bounded in time;
 * sizes are bounded by the scenario schema.
 */
export interface Injector {
  readonly kind: string;
  /** One line for the plan and the report, e.g. "SIGKILL the backend (pid 123)". */
  describe(): string;
  inject(signal?: AbortSignal): Promise<void>;
  undo(): Promise<void>;
  /**
   * Real ms the undo takes before it is in effect (a backend's start time,
   * as measured at its first start). The timeline begins the undo that much
   * early, so that the fault ends when the scenario says: a restarted
   * backend that takes 400 ms to start would otherwise stay down 8 s of
   * scenario time longer at time scale 20, an artefact of the scale.
   */
  undoLeadMs?(): number;
  /**
   * Real ms from `inject` resolving to the fault being in effect (a CPU
   * hog's start delay). The timeline injects that much early and records the
   * inject that long after `inject` resolved, when it is in effect: 20 ms
   * are 1.2 s of scenario time at scale 60, and a recorded fault 1.2 s
   * before the backend stopped would have the plan's fleet notice early.
   */
  injectLeadMs?(): number;
}
