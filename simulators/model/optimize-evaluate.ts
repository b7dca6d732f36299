import type { StagedPolicyParams } from '../devices/policy/index.ts';
import { runStormModel, type StormModelInput, type StormModelResult } from './storm-model.ts';

/** What the advisor keeps of one model run: the figures it ranks by, and (full size) the whole result. */
export interface Evaluated {
  policy: StagedPolicyParams;
  /** ms from the restore until the target's share was back (the input's first extra percentile); null: not reached. */
  targetMs: number | null;
  /** Attempts per second in the busiest 5 s of the recovery phase. */
  peak: number;
  attempts: number;
  /** Only when `full`: the run itself, without its per-second series. */
  result?: Omit<StormModelResult, 'series'>;
}

/** Models `policies` one by one on `input`; pure, so it runs the same in a worker thread. */
export function evaluatePolicies(input: Omit<StormModelInput, 'policy'>, policies: readonly StagedPolicyParams[], full: boolean): Evaluated[] {
  return policies.map((policy) => {
    const { series: _empty, ...result } = runStormModel({ ...input, policy, omitSeries: true });
    return {
      policy,
      targetMs: result.recoveryAt[0]?.ms ?? null,
      peak: result.attempts.peakPerSecond,
      attempts: result.attempts.total,
      ...(full ? { result } : {}),
    };
  });
}
