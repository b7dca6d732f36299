import { formatDuration } from '../scenarios/duration.ts';
import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { backendContainerOf, startContainerAgain } from './backend-container.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * `docker restart`: SIGTERM, SIGKILL after `grace` (the engine takes whole
 * seconds, rounded up), and a start at once; resolves when the backend is
 * ready again. Nothing to undo but a container left stopped by a restart
 * cut short.
 */
export function containerRestartInjector(event: ChaosEventOf<'container-restart'>, context: InjectorContext): Injector {
  const container = backendContainerOf(context, 'container-restart');
  let restarted = false;
  return {
    kind: 'container-restart',
    describe: () => `docker restart container ${container.name} (grace ${formatDuration(event.grace)})`,
    async inject() {
      restarted = true;
      await container.restart(event.grace / context.timeScale);
      context.note('restarted and ready');
    },
    async undo() {
      if (!restarted) return;
      await startContainerAgain(context, container);
      restarted = false;
    },
  };
}
