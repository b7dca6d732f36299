import { z } from 'zod';
import { seedPolicyDefaults, type SeedPolicyParams } from '../../simulators/devices/policy/index.ts';
import { duration, positiveDuration } from './duration-schema.ts';

/** Reconnect policies as written in a scenario; the output is the policy's own parameters, in ms. */
const seedPolicySchema = z.strictObject({
  kind: z.literal('seed'),
  /** Upper bound of the uniform first wait. */
  firstWaitMax: duration.prefault(seedPolicyDefaults.firstWaitMaxMs),
  /** The smallest wait after a failed attempt, before growth. */
  base: positiveDuration.prefault(seedPolicyDefaults.baseMs),
  factor: z.number().min(1, 'a growth factor below 1 would shrink the waits').max(100).prefault(seedPolicyDefaults.factor),
  cap: positiveDuration.prefault(seedPolicyDefaults.capMs),
  jitter: z.number().min(0).max(1).prefault(seedPolicyDefaults.jitter),
}).transform(
  (p): SeedPolicyParams => ({ kind: 'seed', firstWaitMaxMs: p.firstWaitMax, baseMs: p.base, factor: p.factor, capMs: p.cap, jitter: p.jitter }),
);

export const policySchema = z.discriminatedUnion('kind', [seedPolicySchema], {
  error: (issue) => (issue.code === 'invalid_union' ? `unknown policy kind; valid kinds: seed` : undefined),
});

