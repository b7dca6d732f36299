import { containerEquivalentOf } from '../chaos/container-equivalents.ts';
import { formatDuration } from './duration.ts';
import { machineTiming, type MachineTiming } from './machine-timing.ts';
import type { ChaosEvent, Scenario } from './scenario-schema.ts';

/** A chaos action at a scenario time measured from the moment the fleet is online. */
export interface PlannedChaosStep {
  /** Scenario ms after the fleet is first fully online. */
  afterOnlineMs: number;
  action: 'inject' | 'undo';
  /** Index of the event in `scenario.chaos`. */
  index: number;
  event: ChaosEvent;
}

export interface RunPlan {
  scenario: Scenario;
  chaos: PlannedChaosStep[];
  /** Timeouts, heartbeats and waits as the run applies them on one machine. */
  timing: MachineTiming;
  /** The plan as lines for people. */
  lines: string[];
}

const heldClosed = (holdClosedMs: number): string => (holdClosedMs > 0 ? `, held closed for ${formatDuration(holdClosedMs)}` : '');

/** What each chaos kind does, in words for the plan and the report. */
const chaosLabels: { [K in ChaosEvent['kind']]: (event: Extract<ChaosEvent, { kind: K }>) => { inject: string; undo: string } } = {
  kill: (e) => ({ inject: 'SIGKILL the backend', undo: `restart the backend${heldClosed(e.holdClosed)}` }),
  stop: (e) => ({
    inject: `graceful stop (SIGTERM), forced with SIGKILL after ${formatDuration(e.grace)}`,
    undo: `restart the backend${heldClosed(e.holdClosed)}`,
  }),
  freeze: () => ({ inject: 'freeze the backend (SIGSTOP)', undo: 'continue it (SIGCONT)' }),
  'cpu-hog': (e) => ({ inject: `backend burns its CPU at ${Math.round(e.dutyCycle * 100)}%`, undo: 'stop the CPU hog' }),
  'cpu-burn': (e) => ({ inject: `${e.burners ?? 'one per core'} burner process(es) compete for the CPU`, undo: 'end the burners' }),
  'cpu-quota': (e) => ({ inject: `limit the backend to ${e.cpus} CPU`, undo: 'lift the CPU quota' }),
  'memory-hog': (e) => ({
    inject: `a neighbour grows by ${e.rateMBps} MB/s up to ${e.limitMB} MB (floor ${e.floorMB} MB available)${e.cgroupLimitMB ? `, sharing a ${e.cgroupLimitMB} MB cgroup with the backend` : ''}`,
    undo: 'end the neighbour and free its memory',
  }),
  network: (e) => ({ inject: `network ${e.toxic.type} on ${e.stream} (toxicity ${e.toxicity})`, undo: `remove the ${e.toxic.type} fault` }),
  'container-kill': (e) => ({ inject: 'SIGKILL the container through the engine', undo: `start the container again${heldClosed(e.holdClosed)}` }),
  'container-stop': (e) => ({ inject: `stop the container: SIGTERM, forced with SIGKILL after ${formatDuration(e.grace)}`, undo: `start the container again${heldClosed(e.holdClosed)}` }),
  'container-pause': () => ({ inject: 'pause the container (cgroup freezer)', undo: 'unpause it' }),
  'container-resize': (e) => ({
    inject: `resize the container live to ${[e.cpus === undefined ? '' : `${e.cpus} CPU`, e.memory === undefined ? '' : `${e.memory} MB`].filter(Boolean).join(' and ')}`,
    undo: 'restore its former limits',
  }),
  'container-oom': (e) => ({ inject: `a memory hog in the container grows by ${e.rateMBps} MB/s into its memory limit until the OOM killer ends the backend`, undo: 'start the container again' }),
  'container-restart': (e) => ({ inject: `restart the container through the engine (grace ${formatDuration(e.grace)})`, undo: 'nothing (it restarted at once)' }),
};

/** What `event` does; on a container target, kill, stop and freeze say how the engine does them. */
export function chaosLabel(event: ChaosEvent, target?: Scenario['target']): { inject: string; undo: string } {
  const done = (target?.kind === 'container' ? containerEquivalentOf(event) : undefined) ?? event;
  return (chaosLabels[done.kind] as (e: ChaosEvent) => { inject: string; undo: string })(done);
}

/**
 * Plan, then run: turns a scenario into its timeline without touching a
 * socket. Steps are sorted by time; at equal times an undo comes before an
 * inject, so back-to-back faults never overlap.
 */
export function planRun(scenario: Scenario): RunPlan {
  const steps: PlannedChaosStep[] = [];
  scenario.chaos.forEach((event, index) => {
    steps.push({ afterOnlineMs: event.at, action: 'inject', index, event });
    steps.push({ afterOnlineMs: event.at + event.for, action: 'undo', index, event });
  });
  steps.sort((a, b) => a.afterOnlineMs - b.afterOnlineMs || (a.action === b.action ? a.index - b.index : a.action === 'undo' ? -1 : 1));

  const { fleet, timeScale } = scenario;
  const pad = (text: string): string => text.padEnd(10);
  const integrity = integrityLines(scenario, pad);
  const timing = machineTiming(scenario);
  const lines = [
    `plan: ${scenario.name}, ${fleet.devices} devices, seed ${JSON.stringify(scenario.seed)}, time scale ${timeScale}` +
      (timeScale > 1 ? ` (${formatDuration(timeScale * 1000)} of scenario time per real second)` : ' (real time)'),
    ...integrity.start.slice(0, 1),
    `  ${pad('0s')}start target (${scenario.target.kind})`,
    ...integrity.start.slice(1),
    `  ${pad('0s')}start fleet: devices boot over ${formatDuration(fleet.rampUp)}`,
    `  ${pad('online')}wait until all ${fleet.devices} devices are online (at most ${formatDuration(timing.onlineTimeoutMs)})`,
    ...integrity.online,
    ...steps.map((s) => `  ${pad(`+${formatDuration(s.afterOnlineMs)}`)}chaos #${s.index + 1} ${s.action}: ${chaosLabel(s.event, scenario.target)[s.action]}`),
    `  ${pad('then')}record until every device is back, then ${formatDuration(scenario.settle)} more; stop at ${formatDuration(scenario.deadline)} at the latest` +
      (timing.machineBound ? ` (or ${formatDuration(timing.recoveryFloorMs)} after the last fault ends, if later)` : ''),
    ...integrity.end,
    ...timing.lines.map((line) => `  ${line}`),
  ];
  return { scenario, chaos: steps, timing, lines };
}

/** The integrity checks' part of the plan: what is written, measured and checked, and when. */
function integrityLines(scenario: Scenario, pad: (text: string) => string): { start: string[]; online: string[]; end: string[] } {
  const integrity = scenario.integrity;
  if (!integrity) return { start: [], online: [], end: [] };
  const { apiLoad } = integrity;
  return {
    start: [
      ...(integrity.origin ? [`  ${pad('0s')}start the content origin (devices fetch what they show from it; chaos never touches it)`] : []),
      ...(integrity.seedContent ? [`  ${pad('0s')}assign first content to all ${scenario.fleet.devices} devices through the API, before they boot`] : []),
    ],
    online: [
      `  ${pad('online')}assign content to random devices, ${integrity.writesPerSecond}/s, until every device is back; record every acknowledged write`,
      ...(apiLoad === false
        ? []
        : [`  ${pad('online')}API load (autocannon, ${apiLoad.connections} connections, ${formatDuration(apiLoad.duration)} each): before the first fault, from the last restore, after recovery`]),
    ],
    end: [`  ${pad('end')}read every device back: no acknowledged write lost, every online device on its latest content`],
  };
}
