import { formatRate } from '../../simulators/model/capacity-model.ts';
import { optimizePolicy, searchSpace, type OptimizeResult } from '../../simulators/model/optimize-policy.ts';
import { formatDuration } from '../duration.ts';
import { exitCodes } from '../errors.ts';
import { stagedPolicyTexts } from '../schema/policy-text.ts';
import type { PlanRequest } from './plan-command.ts';
import { formatPlanHeader } from './plan-table.ts';

const count = (n: number): string => Math.round(n).toLocaleString('en');
const round2 = (n: number): number => Math.round(n * 100) / 100;
const orNever = (ms: number | null): string => (ms === null ? 'never' : formatDuration(ms));

/** The scenario lines that give a policy: what a user pastes. */
export function policySnippet(texts: ReturnType<typeof stagedPolicyTexts>): string {
  return `policy: { first: '${texts.first}', then: '${texts.then}', jitter: '${texts.jitter}' },`;
}

/** The same policy as `aftershock plan` flags. */
export function policyFlags(texts: ReturnType<typeof stagedPolicyTexts>): string {
  return `--first '${texts.first}' --then '${texts.then}' --jitter ${texts.jitter}`;
}

function formatOptimized(request: PlanRequest, result: OptimizeResult): string {
  const { target } = result;
  const goal = `${target.percentile}% back within ${formatDuration(target.withinMs)} of the restore`;
  const space = `first wait U(0, ${searchSpace.firstWaitMaxMs.map(formatDuration).join(' | ')}), base ${searchSpace.baseMs.map(formatDuration).join(' | ')}, factor ${searchSpace.factor.join(' | ')}, cap ${searchSpace.capMs.map(formatDuration).join(' | ')}, jitter ${searchSpace.jitter.join(' | ')}`;
  const lines = [
    formatPlanHeader(request),
    `optimize: staged policies that bring ${goal}, lowest recovery-phase peak first`,
    `  searched ${result.screened} policies (${space})`,
    `  on a ${count(result.sampleDevices)}-device sample (backend limits scaled to it) in ${formatDuration(result.screenMs)}: ${result.metOnSample} met the target${result.screenPercentile > target.percentile ? ` with the sample's margin (${round2(result.screenPercentile)}% back, two standard errors above ${target.percentile}%)` : ''}${result.verified > 0 ? ';' : ''}`,
    ...(result.verified > 0 ? [`  the best ${result.verified} modelled for all ${count(request.base.devices)} devices in ${formatDuration(result.verifyMs)}; every figure below is from that full-size run`] : []),
    '',
  ];
  if (result.policies.length === 0) {
    lines.push(
      result.metOnSample === 0
        ? `  no policy in the space meets the target at ${formatRate(request.base.capacity.acceptPerSecond)}: raise the accept rate (plan --find-capacity finds the rate a policy needs) or relax the target`
        : `  the sample's best did not meet the target for the whole fleet; relax the target or raise the accept rate`,
    );
    return lines.join('\n');
  }
  result.policies.forEach((p, i) => {
    const texts = stagedPolicyTexts(p.policy);
    const r = p.result;
    const recovery = r.phases.recovery;
    lines.push(
      `  #${i + 1}  first ${texts.first}, then ${texts.then}, jitter ${texts.jitter}`,
      `      back: ${target.percentile}% ${formatDuration(p.targetMs)} · t50 ${orNever(r.recovery.t50)} · t99 ${orNever(r.recovery.t99)} · t100 ${orNever(r.recovery.t100)}${r.neverReturned > 0 ? ` · ${count(r.neverReturned)} never back` : ''}`,
      `      recovery peak ${count(r.attempts.peakPerSecond)} attempts/s (busiest 5 s after the restore; ${count(recovery?.maxInOneSecond ?? 0)} in its busiest second) · outage peak ${count(r.phases.outage?.peakPerSecond ?? 0)}/s`,
      `      attempts ${count(r.attempts.total)} (${count(recovery?.attempts ?? 0)} in the recovery), failed ${count(r.failures.total)}`,
      `      scenario: ${policySnippet(texts)}`,
      `      plan:     aftershock plan ${policyFlags(texts)}`,
      '',
    );
  });
  return lines.join('\n').trimEnd();
}

/** `aftershock plan --optimize`: prints the advisor's policies; exit 1 when none meets the target. */
export async function optimizeCommand(request: PlanRequest, json: boolean): Promise<number> {
  const target = request.optimize!;
  const result = await optimizePolicy({ base: request.base, target });
  if (json) {
    const finite = (value: number): number | string => (Number.isFinite(value) ? value : 'unlimited');
    console.log(
      JSON.stringify(
        {
          schemaVersion: 1,
          kind: 'aftershock-plan-optimize',
          devices: request.base.devices,
          fault: request.base.fault,
          capacity: { ...request.base.capacity, acceptPerSecond: finite(request.base.capacity.acceptPerSecond), maxInFlight: finite(request.base.capacity.maxInFlight) },
          target,
          searchSpace,
          screened: result.screened,
          metOnSample: result.metOnSample,
          screenPercentile: result.screenPercentile,
          verified: result.verified,
          sampleDevices: result.sampleDevices,
          screenMs: Math.round(result.screenMs),
          verifyMs: Math.round(result.verifyMs),
          policies: result.policies.map((p) => {
            const texts = stagedPolicyTexts(p.policy);
            return {
              policy: p.policy,
              texts,
              scenario: policySnippet(texts),
              flags: policyFlags(texts),
              targetMs: p.targetMs,
              recovery: p.result.recovery,
              neverReturned: p.result.neverReturned,
              recoveryPeakPerSecond: p.result.attempts.peakPerSecond,
              phases: p.result.phases,
              attempts: p.result.attempts.total,
              failures: p.result.failures.total,
            };
          }),
        },
        null,
        2,
      ),
    );
  } else {
    console.log(formatOptimized(request, result));
  }
  return result.policies.length > 0 ? exitCodes.passed : exitCodes.thresholdFailed;
}
