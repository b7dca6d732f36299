import type { ReconnectPolicy } from './reconnect-policy.ts';

/**
 * The same wait before every attempt, drawing nothing: the naive policy,
 * kept as a baseline for how much the others spread the load.
 */
export interface ConstantPolicyParams {
  kind: 'constant';
  delayMs: number;
}

export const constantPolicyDefaults: ConstantPolicyParams = { kind: 'constant', delayMs: 10_000 };

export function constantPolicy(params: ConstantPolicyParams): ReconnectPolicy {
  const { delayMs } = params;
  return { kind: 'constant', maxDelayMs: delayMs, nextDelayMs: () => delayMs };
}
