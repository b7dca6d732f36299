import { z } from 'zod';
import { parseThresholds, type Threshold } from '../../reports/thresholds/threshold.ts';

/**
 * `thresholds` as written: metric name to conditions, k6-style
 * (`{ 'recovery.t99': ['<6m'], 'devices.never_returned': ['==0'] }`). The
 * output is the parsed list; every bad entry is reported with its path, and
 * an unknown metric lists the valid names.
 */
export const thresholdsSchema = z.record(z.string(), z.array(z.string())).transform((input, ctx): Threshold[] => {
  const { thresholds, problems } = parseThresholds(input);
  for (const problem of problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  return problems.length > 0 ? z.NEVER : thresholds;
});
