import type { ReconnectPolicy } from './reconnect-policy.ts';
import type { Rng } from './rng.ts';

/**
 * The policy of the incidents' devices: wait U(0, firstWaitMax) before the
 * first attempt; after each failed attempt the wait grows by `factor` from the
 * previous one (never below `baseMs`), capped at `capMs`. `jitter` in [0, 1]
 * randomises later waits downwards by up to that fraction (0: none).
 */
export interface SeedPolicyParams {
  kind: 'seed';
  firstWaitMaxMs: number;
  baseMs: number;
  factor: number;
  capMs: number;
  jitter: number;
}

export const seedPolicyDefaults: SeedPolicyParams = {
  kind: 'seed',
  firstWaitMaxMs: 60_000,
  baseMs: 10_000,
  factor: 2,
  capMs: 360_000,
  jitter: 0,
};

export function seedPolicy(params: SeedPolicyParams): ReconnectPolicy {
  const { firstWaitMaxMs, baseMs, factor, capMs, jitter } = params;
  return {
    kind: 'seed',
    maxDelayMs: Math.max(firstWaitMaxMs, capMs),
    nextDelayMs(attempt: number, previousDelayMs: number, rng: Rng): number {
      if (attempt <= 1) return rng() * firstWaitMaxMs;
      const grown = Math.min(capMs, Math.max(baseMs, previousDelayMs) * factor);
      return jitter > 0 ? grown * (1 - jitter * rng()) : grown;
    },
  };
}
