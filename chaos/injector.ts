import type { StartedTarget } from '../scenarios/targets/target.ts';

/** What an injector may act on. */
export interface InjectorContext {
  target: StartedTarget;
}

/**
 * One fault. Contract: `inject` resolves once the fault is in effect; `undo`
 * resolves once it is undone, is idempotent, and is safe to call when `inject`
 * failed half way or never ran. Every injector is bounded: the runner undoes
 * it at its scheduled end and on every exit path.
 */
export interface Injector {
  readonly kind: string;
  /** One line for the plan and the report, e.g. "SIGKILL the backend (pid 123)". */
  describe(): string;
  inject(): Promise<void>;
  undo(): Promise<void>;
}
