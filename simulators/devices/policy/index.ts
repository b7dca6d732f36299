import type { ReconnectPolicy } from './reconnect-policy.ts';
import { seedPolicy, type SeedPolicyParams } from './seed-policy.ts';

export type { ReconnectPolicy } from './reconnect-policy.ts';
export type { Rng } from './rng.ts';
export { streamRng } from './rng.ts';
export { seedPolicyDefaults, type SeedPolicyParams } from './seed-policy.ts';

/** Every policy's parameters, discriminated by `kind`. */
export type PolicyParams = SeedPolicyParams;

type Factories = { [K in PolicyParams['kind']]: (params: Extract<PolicyParams, { kind: K }>) => ReconnectPolicy };

/** The policy registry: one entry per kind. */
export const policies: Factories = {
  seed: seedPolicy,
} as const;

export const policyKinds = Object.keys(policies) as PolicyParams['kind'][];

export function createPolicy(params: PolicyParams): ReconnectPolicy {
  const factory = policies[params.kind] as (p: PolicyParams) => ReconnectPolicy;
  return factory(params);
}

/**
 * The waits a device would plan for attempts 1..count if every attempt
 * failed: the policy applied to its own random stream.
 */
export function plannedDelays(policy: ReconnectPolicy, rng: () => number, count: number): number[] {
  const delays: number[] = [];
  let previous = 0;
  for (let attempt = 1; attempt <= count; attempt++) {
    previous = policy.nextDelayMs(attempt, previous, rng);
    delays.push(previous);
  }
  return delays;
}
