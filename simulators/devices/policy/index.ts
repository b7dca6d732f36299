import { constantPolicy, constantPolicyDefaults, type ConstantPolicyParams } from './constant-policy.ts';
import { decorrelatedJitterPolicy, decorrelatedJitterPolicyDefaults, type DecorrelatedJitterPolicyParams } from './decorrelated-jitter-policy.ts';
import { equalJitterPolicy, equalJitterPolicyDefaults, type EqualJitterPolicyParams } from './equal-jitter-policy.ts';
import { fullJitterPolicy, fullJitterPolicyDefaults, type FullJitterPolicyParams } from './full-jitter-policy.ts';
import { nonePolicy, nonePolicyDefaults, type NonePolicyParams } from './none-policy.ts';
import type { ReconnectPolicy } from './reconnect-policy.ts';
import { seedPolicy, seedPolicyDefaults, type SeedPolicyParams } from './seed-policy.ts';
import { stagedPolicy, stagedPolicyDefaults, type StagedPolicyParams } from './staged-policy.ts';

export type { ReconnectPolicy } from './reconnect-policy.ts';
export type { Rng } from './rng.ts';
export { drawAt, streamKey, streamRng, subjectRng } from './rng.ts';
export { seedPolicyDefaults, type SeedPolicyParams } from './seed-policy.ts';
export { nonePolicyDefaults, type NonePolicyParams } from './none-policy.ts';
export { fullJitterPolicyDefaults, type FullJitterPolicyParams } from './full-jitter-policy.ts';
export { equalJitterPolicyDefaults, type EqualJitterPolicyParams } from './equal-jitter-policy.ts';
export { decorrelatedJitterPolicyDefaults, type DecorrelatedJitterPolicyParams } from './decorrelated-jitter-policy.ts';
export { constantPolicyDefaults, type ConstantPolicyParams } from './constant-policy.ts';
export { jitterKinds, stagedPolicyDefaults, type JitterKind, type StagedPolicyParams } from './staged-policy.ts';

/** Every policy's parameters, discriminated by `kind`. */
export type PolicyParams =
  | SeedPolicyParams
  | StagedPolicyParams
  | NonePolicyParams
  | FullJitterPolicyParams
  | EqualJitterPolicyParams
  | DecorrelatedJitterPolicyParams
  | ConstantPolicyParams;

export type PolicyKind = PolicyParams['kind'];

type Factories = { [K in PolicyKind]: (params: Extract<PolicyParams, { kind: K }>) => ReconnectPolicy };

/** The policy registry: one entry per kind. */
export const policies: Factories = {
  seed: seedPolicy,
  staged: stagedPolicy,
  none: nonePolicy,
  full: fullJitterPolicy,
  equal: equalJitterPolicy,
  decorrelated: decorrelatedJitterPolicy,
  constant: constantPolicy,
} as const;

/** Each kind's default parameters (what `{ kind }` alone means in a scenario). */
export const policyDefaults: { [K in PolicyKind]: Extract<PolicyParams, { kind: K }> } = {
  seed: seedPolicyDefaults,
  staged: stagedPolicyDefaults,
  none: nonePolicyDefaults,
  full: fullJitterPolicyDefaults,
  equal: equalJitterPolicyDefaults,
  decorrelated: decorrelatedJitterPolicyDefaults,
  constant: constantPolicyDefaults,
};

export const policyKinds = Object.keys(policies) as PolicyKind[];

export function isPolicyKind(kind: string): kind is PolicyKind {
  return Object.hasOwn(policies, kind);
}

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
