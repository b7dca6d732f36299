import { exponentialWait } from './none-policy.ts';
import type { ReconnectPolicy } from './reconnect-policy.ts';
import type { Rng } from './rng.ts';

/**
 * "Full jitter" from the AWS analysis of backoff and jitter: the wait before
 * attempt n is uniform in [0, min(capMs, baseMs * 2^(n-1))).
 */
export interface FullJitterPolicyParams {
  kind: 'full';
  /** Upper bound of the first wait, ms. */
  baseMs: number;
  capMs: number;
}

export const fullJitterPolicyDefaults: FullJitterPolicyParams = { kind: 'full', baseMs: 1_000, capMs: 360_000 };

export function fullJitterPolicy(params: FullJitterPolicyParams): ReconnectPolicy {
  const waitFor = exponentialWait(params.baseMs, 2, params.capMs);
  return {
    kind: 'full',
    maxDelayMs: params.capMs,
    nextDelayMs: (attempt: number, _previousDelayMs: number, rng: Rng) => rng() * waitFor(attempt),
  };
}
