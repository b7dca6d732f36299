import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { backendContainerOf } from './backend-container.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * Freeze through the engine: `docker pause` puts every process of the
 * container in the cgroup freezer. The kernel still accepts TCP connections
 * into the listen backlog (the socket is on the host network), but nothing
 * answers: devices notice by heartbeat and handshake timeouts. Undo:
 * `docker unpause`; the watchdog unpauses it if the harness dies.
 */
export function containerPauseInjector(_event: ChaosEventOf<'container-pause'>, context: InjectorContext): Injector {
  const container = backendContainerOf(context, 'container-pause');
  let release: (() => void) | undefined;
  return {
    kind: 'container-pause',
    describe: () => `docker pause container ${container.name} (cgroup freezer), unpause on undo`,
    async inject() {
      // Guard first: if the harness dies now, the watchdog thaws it.
      release = context.watchdog.guard({ kind: 'docker', op: 'unpause', container: container.id });
      await container.pause();
    },
    async undo() {
      if (!release) return;
      await container.unpause();
      release();
      release = undefined;
    },
  };
}
