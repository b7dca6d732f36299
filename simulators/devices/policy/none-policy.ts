import type { ReconnectPolicy } from './reconnect-policy.ts';

/**
 * Capped exponential backoff without jitter ("no jitter" in the AWS analysis
 * of backoff and jitter): the wait before attempt n is
 * min(capMs, baseMs * factor^(n-1)). Draws nothing: every device that lost
 * its connection at the same moment retries at the same moments, which is the
 * storm the jittered policies exist to avoid.
 */
export interface NonePolicyParams {
  kind: 'none';
  /** The first wait, ms. */
  baseMs: number;
  /** Growth per failed attempt (2 doubles). */
  factor: number;
  capMs: number;
}

export const nonePolicyDefaults: NonePolicyParams = { kind: 'none', baseMs: 1_000, factor: 2, capMs: 360_000 };

/**
 * The un-jittered exponential wait shared by the AWS-style policies,
 * min(capMs, baseMs * factor^(attempt-1)), as a function of the attempt.
 * Past the attempt where the cap is surely reached it returns the cap
 * without computing a power: a device in a long outage makes hundreds of
 * attempts, and the planner makes millions of devices' worth.
 */
export function exponentialWait(baseMs: number, factor: number, capMs: number): (attempt: number) => number {
  // From this attempt on, base * factor^(attempt-1) >= cap * factor > cap.
  const cappedFrom = factor > 1 ? Math.max(1, Math.ceil(Math.log(capMs / baseMs) / Math.log(factor))) + 2 : Infinity;
  return (attempt) => (attempt >= cappedFrom ? capMs : Math.min(capMs, baseMs * factor ** Math.max(0, attempt - 1)));
}

export function nonePolicy(params: NonePolicyParams): ReconnectPolicy {
  const waitFor = exponentialWait(params.baseMs, params.factor, params.capMs);
  return {
    kind: 'none',
    maxDelayMs: params.capMs,
    nextDelayMs: (attempt) => waitFor(attempt),
  };
}
