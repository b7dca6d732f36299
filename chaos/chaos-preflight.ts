import { AftershockError } from '../scenarios/errors.ts';
import type { ChaosEvent, Scenario } from '../scenarios/scenario-schema.ts';
import { runsReferenceImage } from '../scenarios/targets/container-target.ts';
import { cgroupUnsupportedError, probeCgroup, type CgroupController } from './cgroup.ts';

/** What a chaos kind needs from the target and the kernel. */
interface Requirements {
  /** The harness must own the backend's process (signals, cgroups). */
  process?: boolean;
  /** The backend must take chaos commands itself (the reference backend does). */
  admin?: boolean;
  /** A usable cgroup controller. */
  cgroup?: CgroupController;
}

const requirements: { [K in ChaosEvent['kind']]: (event: Extract<ChaosEvent, { kind: K }>) => Requirements } = {
  kill: (e) => ({ process: true, admin: e.holdClosed > 0 }),
  stop: (e) => ({ process: true, admin: e.holdClosed > 0 }),
  freeze: () => ({ process: true }),
  'cpu-hog': () => ({ admin: true }),
  'cpu-burn': () => ({}),
  'cpu-quota': () => ({ process: true, cgroup: 'cpu' }),
  'memory-hog': (e) => (e.cgroupLimitMB === undefined ? {} : { process: true, cgroup: 'memory' }),
  network: () => ({}),
};

/** What the scenario's target offers, known before it is started. */
function targetOffers(scenario: Scenario): { process: boolean; admin: boolean } {
  switch (scenario.target.kind) {
    case 'reference':
      return { process: true, admin: true };
    case 'container':
      return { process: false, admin: runsReferenceImage(scenario.target) };
    case 'process':
      return { process: true, admin: false };
  }
}

/**
 * Checks every chaos event against the target and the kernel before
 * anything is started, and reports every problem at once with its path.
 */
export function assertChaosPossible(scenario: Scenario, probe = probeCgroup): void {
  const offers = targetOffers(scenario);
  const problems: string[] = [];
  const probed = new Map<CgroupController, ReturnType<typeof probeCgroup>>();
  scenario.chaos.forEach((event, index) => {
    const needs = (requirements[event.kind] as (e: ChaosEvent) => Requirements)(event);
    const where = `chaos.${index} (${event.kind})`;
    if (needs.process && !offers.process) problems.push(`${where}: needs a target whose process the harness starts; target "${scenario.target.kind}" has none`);
    if (needs.admin && !offers.admin) problems.push(`${where}: needs a backend that takes chaos commands (the reference backend); target "${scenario.target.kind}" does not`);
    if (needs.cgroup) {
      const result = probed.get(needs.cgroup) ?? probe(needs.cgroup, process.pid);
      probed.set(needs.cgroup, result);
      if (!result.usable) problems.push(`${where}: ${cgroupUnsupportedError(event.kind, result).message}`);
    }
  });
  if (problems.length > 0) {
    throw new AftershockError('chaos-unsupported', `the chaos timeline cannot run here (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems.join('; ')}`, { details: problems });
  }
}
