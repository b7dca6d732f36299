import { z } from 'zod';
import { duration, positiveDuration } from './duration-schema.ts';

const killEventSchema = z.strictObject({
  kind: z.literal('kill'),
  /** When, after the whole fleet is first online. */
  at: duration,
  /** How long the backend stays down before it is restarted. */
  for: positiveDuration,
});

export const chaosEventSchema = z.discriminatedUnion('kind', [killEventSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? `unknown chaos kind; valid kinds: kill` : undefined),
});

