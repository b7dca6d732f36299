import { z } from 'zod';
import {
  constantPolicyDefaults,
  decorrelatedJitterPolicyDefaults,
  equalJitterPolicyDefaults,
  fullJitterPolicyDefaults,
  nonePolicyDefaults,
  policyKinds,
  seedPolicyDefaults,
  type ConstantPolicyParams,
  type StagedPolicyParams,
  type DecorrelatedJitterPolicyParams,
  type EqualJitterPolicyParams,
  type FullJitterPolicyParams,
  type NonePolicyParams,
  type SeedPolicyParams,
} from '../../simulators/devices/policy/index.ts';
import { duration, positiveDuration } from './duration-schema.ts';
import { stagedPolicyOf } from './policy-text.ts';

/** Reconnect policies as written in a scenario; the output is the policy's own parameters, in ms. */
const growthFactor = z.number().min(1, 'a growth factor below 1 would shrink the waits').max(100);

const seedPolicySchema = z.strictObject({
  kind: z.literal('seed'),
  /** Upper bound of the uniform first wait. */
  firstWaitMax: duration.prefault(seedPolicyDefaults.firstWaitMaxMs),
  /** The smallest wait after a failed attempt, before growth. */
  base: positiveDuration.prefault(seedPolicyDefaults.baseMs),
  factor: growthFactor.prefault(seedPolicyDefaults.factor),
  cap: positiveDuration.prefault(seedPolicyDefaults.capMs),
  jitter: z.number().min(0).max(1).prefault(seedPolicyDefaults.jitter),
}).transform(
  (p): SeedPolicyParams => ({ kind: 'seed', firstWaitMaxMs: p.firstWaitMax, baseMs: p.base, factor: p.factor, capMs: p.cap, jitter: p.jitter }),
);

/**
 * A policy in two stages: `first` the first wait's distribution, `then` the
 * sequence of later waits, `jitter` how later waits are randomised (see
 * staged-policy.ts and policy-text.ts). `kind` may be left out when `first`
 * or `then` is given.
 */
const stagedPolicySchema = z
  .strictObject({
    kind: z.literal('staged'),
    first: z.string().optional(),
    then: z.string().optional(),
    jitter: z.string().optional(),
  })
  .transform((p, ctx): StagedPolicyParams => {
    const parsed = stagedPolicyOf(p);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    }
    return parsed.value;
  });

const nonePolicySchema = z.strictObject({
  kind: z.literal('none'),
  /** The first wait; later ones grow by `factor`. */
  base: positiveDuration.prefault(nonePolicyDefaults.baseMs),
  factor: growthFactor.prefault(nonePolicyDefaults.factor),
  cap: positiveDuration.prefault(nonePolicyDefaults.capMs),
}).transform((p): NonePolicyParams => ({ kind: 'none', baseMs: p.base, factor: p.factor, capMs: p.cap }));

const fullJitterPolicySchema = z.strictObject({
  kind: z.literal('full'),
  /** Upper bound of the first wait; the bound doubles per failed attempt. */
  base: positiveDuration.prefault(fullJitterPolicyDefaults.baseMs),
  cap: positiveDuration.prefault(fullJitterPolicyDefaults.capMs),
}).transform((p): FullJitterPolicyParams => ({ kind: 'full', baseMs: p.base, capMs: p.cap }));

const equalJitterPolicySchema = z.strictObject({
  kind: z.literal('equal'),
  base: positiveDuration.prefault(equalJitterPolicyDefaults.baseMs),
  cap: positiveDuration.prefault(equalJitterPolicyDefaults.capMs),
}).transform((p): EqualJitterPolicyParams => ({ kind: 'equal', baseMs: p.base, capMs: p.cap }));

const decorrelatedJitterPolicySchema = z.strictObject({
  kind: z.literal('decorrelated'),
  /** The shortest wait; each wait is drawn from [base, 3 x the previous one]. */
  base: positiveDuration.prefault(decorrelatedJitterPolicyDefaults.baseMs),
  cap: positiveDuration.prefault(decorrelatedJitterPolicyDefaults.capMs),
}).transform((p): DecorrelatedJitterPolicyParams => ({ kind: 'decorrelated', baseMs: p.base, capMs: p.cap }));

const constantPolicySchema = z.strictObject({
  kind: z.literal('constant'),
  delay: positiveDuration.prefault(constantPolicyDefaults.delayMs),
}).transform((p): ConstantPolicyParams => ({ kind: 'constant', delayMs: p.delay }));

/** `{ first, then, jitter }` without a kind is a staged policy. */
const stagedWithoutKind = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && !('kind' in value) && ('first' in value || 'then' in value) ? { kind: 'staged', ...value } : value;

const policyUnion = z.discriminatedUnion(
  'kind',
  [seedPolicySchema, stagedPolicySchema, nonePolicySchema, fullJitterPolicySchema, equalJitterPolicySchema, decorrelatedJitterPolicySchema, constantPolicySchema],
  {
    error: (issue) => (issue.code === 'invalid_union' ? `unknown policy kind; valid kinds: ${policyKinds.join(', ')}` : undefined),
  },
);

/** What a scenario may write: any kind's object, or a staged policy's texts without its kind. */
type PolicyInput = z.input<typeof policyUnion> | Omit<z.input<typeof stagedPolicySchema>, 'kind'>;

// The preprocess step would erase the input type to `unknown`; state it, so an editor checks a scenario's policy.
export const policySchema = z.preprocess(stagedWithoutKind, policyUnion) as unknown as z.ZodType<z.output<typeof policyUnion>, PolicyInput>;
