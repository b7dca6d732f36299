import { exponentialWait } from './none-policy.ts';
import type { ReconnectPolicy } from './reconnect-policy.ts';
import type { Rng } from './rng.ts';

/**
 * "Equal jitter" from the AWS analysis of backoff and jitter: with
 * temp = min(capMs, baseMs * 2^(n-1)), the wait before attempt n is
 * temp/2 + U(0, temp/2): never shorter than half the exponential wait.
 */
export interface EqualJitterPolicyParams {
  kind: 'equal';
  baseMs: number;
  capMs: number;
}

export const equalJitterPolicyDefaults: EqualJitterPolicyParams = { kind: 'equal', baseMs: 1_000, capMs: 360_000 };

export function equalJitterPolicy(params: EqualJitterPolicyParams): ReconnectPolicy {
  const waitFor = exponentialWait(params.baseMs, 2, params.capMs);
  return {
    kind: 'equal',
    maxDelayMs: params.capMs,
    nextDelayMs(attempt: number, _previousDelayMs: number, rng: Rng): number {
      const half = waitFor(attempt) / 2;
      return half + rng() * half;
    },
  };
}
