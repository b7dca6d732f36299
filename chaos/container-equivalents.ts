import type { ChaosEvent } from '../scenarios/scenario-schema.ts';
import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';

/** Process chaos that a container target takes as the same fault through the engine. */
type MappedKind = 'kill' | 'stop' | 'freeze';

/**
 * The container fault for each process fault: a SIGKILL of the process is a
 * SIGKILL of the container, a graceful stop (same grace) is `docker stop`, a
 * SIGSTOP freeze is `docker pause`. The undo matches as well: a killed or
 * stopped container is started again (held closed first if asked), a paused
 * one unpaused.
 */
const equivalents: { [K in MappedKind]: (event: ChaosEventOf<K>) => ChaosEvent } = {
  kill: ({ at, for: forMs, label, holdClosed }) => ({ kind: 'container-kill', at, for: forMs, label, holdClosed }),
  stop: ({ at, for: forMs, label, grace, holdClosed }) => ({ kind: 'container-stop', at, for: forMs, label, grace, holdClosed }),
  freeze: ({ at, for: forMs, label }) => ({ kind: 'container-pause', at, for: forMs, label }),
};

const isMapped = (kind: ChaosEvent['kind']): kind is MappedKind => Object.hasOwn(equivalents, kind);

/** The same fault through the container engine, for a process fault that has one; undefined for every other event. */
export function containerEquivalentOf(event: ChaosEvent): ChaosEvent | undefined {
  if (!isMapped(event.kind)) return undefined;
  return (equivalents[event.kind] as (e: ChaosEvent) => ChaosEvent)(event);
}

/** Process chaos with no container equivalent: what to write instead on a container target. */
const instead: Partial<Record<ChaosEvent['kind'], string>> = {
  'cpu-quota': 'use kind "container-resize" with cpus instead (a live `docker update` of the container\'s CPU limit, undone after `for`)',
  'memory-hog':
    'use kind "container-oom" instead (a hog inside the container grows into target.memory until the OOM killer ends the backend), or drop cgroupLimitMB for a neighbour outside the container',
};

/** What to use on a container target instead of a process fault that has no equivalent. */
export function containerAlternativeTo(kind: ChaosEvent['kind']): string {
  return instead[kind] ?? 'use a container kind instead (container-kill, container-stop, container-pause, container-resize, container-oom, container-restart)';
}
