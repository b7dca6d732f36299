import { formatDuration } from './duration.ts';
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
  /** The plan as lines for people. */
  lines: string[];
}

const chaosLabels: Record<ChaosEvent['kind'], { inject: string; undo: string }> = {
  kill: { inject: 'SIGKILL the backend', undo: 'restart the backend' },
};

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
  const lines = [
    `plan: ${scenario.name}, ${fleet.devices} devices, seed ${JSON.stringify(scenario.seed)}, time scale ${timeScale}` +
      (timeScale > 1 ? ` (${formatDuration(timeScale * 1000)} of scenario time per real second)` : ' (real time)'),
    `  ${pad('0s')}start target (${scenario.target.kind})`,
    `  ${pad('0s')}start fleet: devices boot over ${formatDuration(fleet.rampUp)}`,
    `  ${pad('online')}wait until all ${fleet.devices} devices are online (at most ${formatDuration(scenario.onlineTimeout)})`,
    ...steps.map((s) => `  ${pad(`+${formatDuration(s.afterOnlineMs)}`)}chaos #${s.index + 1} ${s.action}: ${chaosLabels[s.event.kind][s.action]}`),
    `  ${pad('then')}record until every device is back, then ${formatDuration(scenario.settle)} more; stop at ${formatDuration(scenario.deadline)} at the latest`,
  ];
  return { scenario, chaos: steps, lines };
}
