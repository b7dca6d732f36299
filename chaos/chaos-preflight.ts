import { AftershockError } from '../scenarios/errors.ts';
import type { ChaosEvent, Scenario } from '../scenarios/scenario-schema.ts';
import { runsReferenceImage } from '../scenarios/targets/container-target.ts';
import { cgroupUnsupportedError, probeCgroup, type CgroupController } from './cgroup.ts';
import { containerAlternativeTo, containerEquivalentOf } from './container-equivalents.ts';

/** What a chaos kind needs from the target and the kernel. */
interface Requirements {
  /** The harness must own the backend's process (signals, cgroups). */
  process?: boolean;
  /** The backend must take chaos commands itself (the reference backend does). */
  admin?: boolean;
  /** A usable cgroup controller. */
  cgroup?: CgroupController;
  /** A container target: the fault goes through the container engine. */
  container?: boolean;
  /** The container target must have a memory limit (the OOM hog grows into it; a memory resize returns to it). */
  memoryLimit?: boolean;
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
  'container-kill': (e) => ({ container: true, admin: e.holdClosed > 0 }),
  'container-stop': (e) => ({ container: true, admin: e.holdClosed > 0 }),
  'container-pause': () => ({ container: true }),
  'container-resize': (e) => ({ container: true, memoryLimit: e.memory !== undefined }),
  'container-oom': () => ({ container: true, memoryLimit: true }),
  'container-restart': () => ({ container: true }),
};

/** What the scenario's target offers, known before it is started. */
function targetOffers(scenario: Scenario): { process: boolean; admin: boolean; container: boolean; memoryLimit: boolean; /** Chaos kinds the user's hook commands perform. */ hooks?: readonly string[] } {
  switch (scenario.target.kind) {
    case 'reference':
      return { process: true, admin: true, container: false, memoryLimit: false };
    case 'container':
      return { process: false, admin: runsReferenceImage(scenario.target), container: true, memoryLimit: scenario.target.memory !== undefined };
    case 'process':
      return { process: true, admin: false, container: false, memoryLimit: false };
    case 'external':
      return { process: false, admin: false, container: false, memoryLimit: false, hooks: Object.keys(scenario.target.hooks) };
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
    // On a container target kill, stop and freeze go through the engine (chaos/index.ts): check what that needs.
    const done = (offers.container ? containerEquivalentOf(event) : undefined) ?? event;
    const needs = (requirements[done.kind] as (e: ChaosEvent) => Requirements)(done);
    const where = `chaos.${index} (${event.kind})`;
    if (needs.process && !offers.process && !offers.hooks?.includes(event.kind)) {
      if (offers.container) {
        problems.push(`${where}: needs a process the harness starts, and a container target's process belongs to the engine; ${containerAlternativeTo(event.kind)}`);
        // No process of its own, so no cgroup of it to probe either.
        return;
      }
      const hint = scenario.target.kind === 'external' ? ` (or target.hooks.${event.kind} with inject and undo commands, for kill, freeze and stop)` : '';
      problems.push(`${where}: needs a target whose process the harness starts${hint}; target "${scenario.target.kind}" has none`);
    }
    if (needs.admin && !offers.admin) problems.push(`${where}: needs a backend that takes chaos commands (the reference backend); target "${scenario.target.kind}" does not`);
    if (needs.container && !offers.container) problems.push(`${where}: needs a container target (target.kind "container"); target "${scenario.target.kind}" is not one`);
    else if (needs.memoryLimit && !offers.memoryLimit) problems.push(`${where}: needs a container target with a memory limit (target.memory, e.g. "256m")`);
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
