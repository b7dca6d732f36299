import type { Rng } from './rng.ts';

/**
 * A reconnect policy: how long a device waits before each attempt after it
 * lost its connection.
 *
 * Contract: `nextDelayMs` is pure apart from drawing from `rng`. `attempt` is
 * 1 for the first attempt after the loss, 2 after that one failed, and so on;
 * `previousDelayMs` is the delay it returned for the attempt before (0 for
 * attempt 1). The result is a finite delay in scenario milliseconds, >= 0.
 * The same policy code runs in the fleet, the planner and the k6 export, so
 * this module and its implementations import nothing from Node.
 */
export interface ReconnectPolicy {
  readonly kind: string;
  nextDelayMs(attempt: number, previousDelayMs: number, rng: Rng): number;
  /** The longest delay this policy can ever return, in ms (for bounds checks). */
  readonly maxDelayMs: number;
}
