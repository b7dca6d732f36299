import type { ReconnectPolicy } from './reconnect-policy.ts';
import type { Rng } from './rng.ts';

/**
 * "Decorrelated jitter" from the AWS analysis of backoff and jitter:
 * sleep = min(capMs, U(baseMs, previous * 3)), where previous starts at
 * baseMs (so the first wait is U(base, 3 * base)). Each wait depends on the
 * last one drawn, not on the attempt number.
 */
export interface DecorrelatedJitterPolicyParams {
  kind: 'decorrelated';
  baseMs: number;
  capMs: number;
}

export const decorrelatedJitterPolicyDefaults: DecorrelatedJitterPolicyParams = { kind: 'decorrelated', baseMs: 1_000, capMs: 360_000 };

export function decorrelatedJitterPolicy(params: DecorrelatedJitterPolicyParams): ReconnectPolicy {
  const { baseMs, capMs } = params;
  return {
    kind: 'decorrelated',
    maxDelayMs: capMs,
    nextDelayMs(attempt: number, previousDelayMs: number, rng: Rng): number {
      // previousDelayMs is 0 for attempt 1; the analysis starts from base.
      const previous = attempt <= 1 ? baseMs : Math.max(baseMs, previousDelayMs);
      return Math.min(capMs, baseMs + rng() * (previous * 3 - baseMs));
    },
  };
}
