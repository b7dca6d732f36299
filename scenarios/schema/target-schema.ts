import { z } from 'zod';
import { positiveDuration } from './duration-schema.ts';
import { processTargetSchema } from './process-target-schema.ts';

const referenceTargetSchema = z.strictObject({
  kind: z.literal('reference'),
  /** How often the backend pings each device. */
  heartbeatInterval: positiveDuration.prefault('30s'),
  /** Optional fixed port; by default a free port is chosen. */
  port: z.number().int().min(1).max(65535).optional(),
});

export const targetSchema = z.discriminatedUnion('kind', [referenceTargetSchema, processTargetSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? `unknown target kind; valid kinds: reference, process` : undefined),
});

