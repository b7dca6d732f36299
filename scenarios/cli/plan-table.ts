import type { PolicyParams } from '../../simulators/devices/policy/index.ts';
import { formatRate, type CapacityParams } from '../../simulators/model/capacity-model.ts';
import { faults } from '../../simulators/model/fault-model.ts';
import type { RecoveryTarget } from '../../simulators/model/find-capacity.ts';
import { formatDuration } from '../duration.ts';
import { stagedPolicyTexts } from '../schema/policy-text.ts';
import type { PlannedPolicy, PlanRequest } from './plan-command.ts';

const count = (n: number): string => Math.round(n).toLocaleString('en');
const orNever = (ms: number | null): string => (ms === null ? 'never' : formatDuration(ms));

/** A policy's parameters in a few words, durations for people. */
export function describePolicy(p: PolicyParams): string {
  switch (p.kind) {
    case 'seed':
      return (
        `first wait U(0, ${formatDuration(p.firstWaitMaxMs)}), then min(${formatDuration(p.capMs)}, max(${formatDuration(p.baseMs)}, previous wait) x ${p.factor})` +
        (p.jitter > 0 ? `, each cut by U(0, ${p.jitter}) of itself` : ', no jitter after the first')
      );
    case 'staged': {
      const texts = stagedPolicyTexts(p);
      return `first ${texts.first}, then ${texts.then}, jitter ${texts.jitter}`;
    }
    case 'none':
      return `${formatDuration(p.baseMs)} x${p.factor} per attempt, cap ${formatDuration(p.capMs)}, no jitter`;
    case 'full':
      return `U(0, min(${formatDuration(p.capMs)}, ${formatDuration(p.baseMs)} x 2^(n-1)))`;
    case 'equal':
      return `half of min(${formatDuration(p.capMs)}, ${formatDuration(p.baseMs)} x 2^(n-1)), plus U(0, the other half)`;
    case 'decorrelated':
      return `min(${formatDuration(p.capMs)}, U(${formatDuration(p.baseMs)}, 3 x previous wait))`;
    case 'constant':
      return `${formatDuration(p.delayMs)} every time`;
  }
}

/** How long an attempt waits for its turn at the accept rate, as the plan header says it. */
function queueText(c: CapacityParams, rateSearched: boolean): string {
  if (c.acceptPerSecond === Infinity && !rateSearched) return '';
  if (c.queueMs === undefined) return ', queue: while the device waits';
  return c.queueMs === 0 ? ', queue: none (beyond the rate: answered at once)' : `, queue: up to ${formatDuration(c.queueMs)}`;
}

export function formatPlanHeader(request: PlanRequest): string {
  const { base } = request;
  const fault = base.fault!;
  const c = base.capacity;
  return [
    `plan: ${count(base.devices)} devices, ${fault.kind} (${faults[fault.kind].description}), outage ${formatDuration(fault.outageMs)}${fault.killAtMs !== undefined ? ` (killed ${formatDuration(fault.killAtMs - fault.atMs)} in: refused from then on)` : ''}, seed ${JSON.stringify(base.seed)} (from ${request.source})`,
    `  backend: accepts ${request.findCapacity ? 'the rate searched for' : formatRate(c.acceptPerSecond)}, ${c.maxInFlight === Infinity ? 'unlimited' : count(c.maxInFlight)} in flight, handshake ${formatDuration(c.serviceTimeMs)}, overloaded: ${c.overload}${queueText(c, request.findCapacity !== undefined)}`,
    `  timeouts: connect ${formatDuration(base.timeouts.connectMs)}, handshake ${formatDuration(base.timeouts.handshakeMs)}, heartbeat ${formatDuration(base.timeouts.heartbeatMs)} (pings every ${formatDuration(base.timeouts.heartbeatIntervalMs)})`,
    `  times are scenario time from the restore; phases: outage = fault to restore, recovery = restore to the last device back`,
  ].join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** Scenario ms of the restore (the fault plus its outage). */
function restoredAt(p: PlannedPolicy): number {
  return p.result.restoredAtMs ?? 0;
}

/** Metrics as rows, policies as columns. */
export function formatPlanTable(planned: readonly PlannedPolicy[]): string {
  const rows: [string, (p: PlannedPolicy) => string][] = [
    ['back: 50%', (p) => orNever(p.result.recovery.t50)],
    ['back: 90%', (p) => orNever(p.result.recovery.t90)],
    ['back: 99%', (p) => orNever(p.result.recovery.t99)],
    ['back: 99.9%', (p) => orNever(p.result.recovery.t999)],
    ['back: 100%', (p) => orNever(p.result.recovery.t100)],
    ['never back', (p) => count(p.result.neverReturned)],
    // The restored backend's load: the recovery phase, restore to the last device back.
    ['recovery peak attempts/s (busiest 5 s)', (p) => count(p.result.attempts.peakPerSecond)],
    ['  busiest second', (p) => count(p.result.phases.recovery?.maxInOneSecond ?? 0)],
    ['  at, after the restore', (p) => (p.result.attempts.peakAtMs === null ? '-' : formatDuration(p.result.attempts.peakAtMs - restoredAt(p)))],
    ['recovery attempts', (p) => count(p.result.phases.recovery?.attempts ?? 0)],
    // Failing attempts while the backend is down: load on whatever answers for it (a balancer), not on it.
    ['outage peak attempts/s (busiest 5 s)', (p) => count(p.result.phases.outage?.peakPerSecond ?? 0)],
    ['outage attempts', (p) => count(p.result.phases.outage?.attempts ?? 0)],
    ['peak in flight', (p) => count(p.result.peakInFlight)],
    ['attempts', (p) => count(p.result.attempts.total)],
    ['failed attempts', (p) => count(p.result.failures.total)],
    ...(['refused', 'handshake-timeout', 'connect-timeout', 'rejected-503', 'reset'] as const)
      .filter((cause) => planned.some((p) => (p.result.failures.byCause[cause] ?? 0) > 0))
      .map((cause): [string, (p: PlannedPolicy) => string] => [`  ${cause}`, (p) => count(p.result.failures.byCause[cause] ?? 0)]),
    ['model time', (p) => formatDuration(p.modelMs)],
  ];
  const header = ['', ...planned.map((p) => p.policy.kind)];
  const body = rows.map(([label, cell]) => [label, ...planned.map(cell)]);
  const legend = planned.map((p) => `  ${p.policy.kind.padEnd(12)} ${describePolicy(p.policy)}`);
  return `${table(header, body)}\n\npolicies:\n${legend.join('\n')}`;
}

/** The capacity search's answer per policy. */
export function formatCapacityTable(planned: readonly PlannedPolicy[], target: RecoveryTarget): string {
  const label = `${target.percentile}% back within ${formatDuration(target.withinMs)}`;
  const rows: [string, (p: PlannedPolicy) => string][] = [
    [`accept rate for ${label}`, (p) => (p.capacity!.acceptPerSecond === null ? 'impossible' : formatRate(Math.ceil(p.capacity!.acceptPerSecond)))],
    [`${target.percentile}% back, unlimited rate`, (p) => orNever(p.capacity!.unlimitedMs)],
    ['model runs', (p) => String(p.capacity!.probes.length)],
  ];
  const header = ['', ...planned.map((p) => p.policy.kind)];
  const impossible = planned.filter((p) => p.capacity!.acceptPerSecond === null).map((p) => p.policy.kind);
  const note = impossible.length
    ? `\n  ${impossible.join(', ')}: no accept rate meets the target; the policy's own waits (or the in-flight limit) are the bound\n`
    : '\n';
  const at = impossible.length ? 'the storm at that rate (unlimited where no rate meets the target):' : 'the storm at that rate:';
  return `${table(header, rows.map(([l, cell]) => [l, ...planned.map(cell)]))}${note}\n${at}`;
}
