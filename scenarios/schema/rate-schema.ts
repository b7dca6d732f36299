import { z } from 'zod';
import { parseRate } from '../../simulators/model/capacity-model.ts';

const rateHint = 'write handshakes per second of scenario time as "40/s", "2400/m", a number per second, or "unlimited"';

/**
 * A rate in scenario time, read as the planner reads `--accept-rate`:
 * "40/s", "2400/m", 40 (per second) or "unlimited". Normalised to handshakes
 * per second of scenario time; "unlimited" becomes undefined, as if no rate
 * had been given.
 */
export const scenarioRate = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const perSecond = typeof value === 'number' ? (value > 0 && Number.isFinite(value) ? value : undefined) : parseRate(value);
  if (perSecond === undefined) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a rate: ${rateHint}` });
    return z.NEVER;
  }
  return perSecond === Infinity ? undefined : perSecond;
});
