import { z } from 'zod';
import { parseDuration } from '../duration.ts';

const durationHint = 'write milliseconds as a number, or text such as "500ms", "90s", "6m", "1h"';

/** A duration in scenario milliseconds. */
export const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration: ${durationHint}` });
    return z.NEVER;
  }
  return parsed;
});

export const positiveDuration = duration.refine((v) => v > 0, { message: 'must be longer than 0' });

