import { describePeaks } from './run-phases.ts';
import { formatDuration } from '../scenarios/duration.ts';
import type { RunSummary } from './run-collector.ts';

const orDash = (ms: number | null): string => (ms === null ? 'never' : formatDuration(ms));
const causes = (record: Record<string, number>): string =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([cause, n]) => `${cause} ${n}`)
    .join(', ') || 'none';

/** The summary as a two-column table for a terminal. */
export function formatSummary(summary: RunSummary, runDir: string): string {
  const rows: [string, string][] = [
    ['scenario', `${summary.scenario} (seed ${JSON.stringify(summary.seed)}, time scale ${summary.timeScale})`],
    ['outcome', summary.outcome],
    ['devices', `${summary.devices} (${summary.devicesOnlineAtEnd} online at the end)`],
    ['fault at / restored at', `${orDash(summary.faultAtMs)} / ${orDash(summary.restoredAtMs)} (scenario time)${onlineAtFault(summary)}`],
    ['back after restore', `t50 ${orDash(summary.recovery.t50)}, t90 ${orDash(summary.recovery.t90)}, t99 ${orDash(summary.recovery.t99)}, t100 ${orDash(summary.recovery.t100)}`],
    ['attempts', `${summary.attempts.total}; peak per second: ${describePeaks(summary.phases, String, formatDuration)}`],
    ['failed attempts', `${summary.failures.total} (${causes(summary.failures.byCause)})`],
    ['noticed the fault by', `${summary.lost.total} lost connections (${causes(summary.lost.byCause)})`],
    ['handshake (real ms)', `p50 ${summary.handshakeMs.p50}, p90 ${summary.handshakeMs.p90}, p99 ${summary.handshakeMs.p99}, max ${summary.handshakeMs.max}`],
    [
      'backend',
      summary.backend.peakCpuPercent === null
        ? 'no metrics'
        : `peak CPU ${summary.backend.peakCpuPercent}%, peak RSS ${summary.backend.peakRssMB} MB, peak event-loop delay ${summary.backend.peakEventLoopDelayMs} ms, ${summary.backend.unreachableSamples} polls unanswered`,
    ],
    ['never came back', summary.neverReturned.count === 0 ? '0' : `${summary.neverReturned.count} (e.g. device indexes ${summary.neverReturned.sample.slice(0, 5).join(', ')})`],
    ['early retries', `${summary.verification.earlyAttempts} (attempts before the policy's wait had passed)`],
    [
      'plan vs measured',
      summary.plan?.maxDeviationPct == null
        ? `not compared${summary.plan?.note ? `: ${summary.plan.note}` : ''}`
        : `the plan from the scenario alone was within ${summary.plan.maxDeviationPct}% of the fleet (${summary.plan.maxDeviationDevices} devices) at every second from ${planFrom(summary.plan)}; worst at ${formatDuration(summary.plan.atMs ?? 0)}${summary.plan.beyondMachine ? ` (${summary.plan.beyondMachine})` : ''}`,
    ],
    ['replay vs measured', summary.model?.maxDeviationPct == null ? `not compared${summary.model?.note ? `: ${summary.model.note}` : ''}` : `the planner fed this run's boot and restore times was within ${summary.model.maxDeviationPct}% of the fleet (${summary.model.maxDeviationDevices} devices) at every second; worst at ${formatDuration(summary.model.atMs ?? 0)}${summary.model.note ? ` (${summary.model.note})` : ''}`],
    ...integrityRows(summary),
    ['run folder', runDir],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

/** Where the plain plan's gap is measured from: the fault, or the fleet's notice of a kill. */
function planFrom(plan: NonNullable<RunSummary['plan']>): string {
  // Summaries written before the notice was measured have no noticeLagMs.
  if (!plan.noticeLagMs) return 'the fault on';
  return `the fleet's notice of the kill on (${formatDuration(plan.noticeLagMs)} after it; the plan takes a kill as noticed at once)`;
}

/** When the fault came before the whole fleet was online (the online wait ran out), how many were. */
function onlineAtFault(summary: RunSummary): string {
  if (summary.faultAtMs === null) return '';
  const before = summary.series[Math.floor(summary.faultAtMs / 1000) - 1];
  if (!before || before.online >= summary.devices) return '';
  return `; only ${before.online} of ${summary.devices} online at the fault (the fleet did not come online within the online wait)`;
}

/** The integrity section's lines: nothing lost, converged, content on screen, the API before, during and after. */
function integrityRows(summary: RunSummary): [string, string][] {
  const integrity = summary.integrity;
  if (!integrity) return [];
  const { assignments, convergence, contentOnScreen, api } = integrity;
  const share = contentOnScreen.shareDuringOutage;
  const window = (name: keyof typeof api): string => {
    const w = api[name];
    if (w === null) return 'not run';
    if ('error' in w) return `failed: ${w.error}`;
    const latency = w.p50Ms === null ? 'no answers' : `p50 ${w.p50Ms} ms, p99 ${w.p99Ms} ms`;
    return `${latency}, ${w.requests} of ${w.sent} requests answered in ${formatDuration(w.endMs - w.startMs)}, ${w.errors} errors (${w.timeouts} timeouts), ${w.non2xx} non-2xx`;
  };
  return [
    [
      'assignments',
      `${assignments.acknowledged} acknowledged of ${assignments.attempted} sent, ${assignments.failed.total} not acknowledged (${causes(assignments.failed.byCause)})` +
        (assignments.notSent > 0 ? `, ${assignments.notSent} not sent (in-flight limit)` : '') +
        '; ' +
        `LOST ${assignments.lost ?? 'not checked'}` +
        (assignments.lostSample.length > 0 ? ` (e.g. device ${assignments.lostSample[0].device} v${assignments.lostSample[0].version}, ${assignments.lostSample[0].why})` : ''),
    ],
    [
      'converged',
      `${convergence.devicesConverged} of ${convergence.devicesOnline} online devices report their latest content` +
        (convergence.notConverged.count > 0 ? ` (not: e.g. device indexes ${convergence.notConverged.sample.slice(0, 5).join(', ')})` : '') +
        `; time to converge after restore ${orDash(convergence.timeToConvergeMs)}`,
    ],
    [
      'content on screen',
      share === null
        ? 'no fault'
        : `${+(share * 100).toFixed(3)}% of device-time during the faults (${integrity.origin ? 'from the origin' : 'as delivered by the backend'}; ${contentOnScreen.fetchFailures.total} failed fetches)`,
    ],
    ['API before the fault', window('before')],
    ['API during the storm', window('during')],
    ['API after recovery', window('after')],
  ];
}
