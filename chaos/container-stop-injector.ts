import { formatDuration } from '../scenarios/duration.ts';
import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { backendContainerOf, startContainerAgain } from './backend-container.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * Graceful stop through the engine, as `docker stop` does it: SIGTERM, and
 * SIGKILL if the container has not exited after `grace` (scenario time, so
 * it is scaled, unlike `docker stop -t` which takes whole seconds). A
 * backend that is busy (a CPU lockup) cannot run its SIGTERM handler, so the
 * grace is exceeded and the stop is forced, as in the incident. Undo starts
 * it again, held closed first if asked.
 */
export function containerStopInjector(event: ChaosEventOf<'container-stop'>, context: InjectorContext): Injector {
  const container = backendContainerOf(context, 'container-stop');
  let stopped = false;
  return {
    kind: 'container-stop',
    describe: () => `stop container ${container.name}: SIGTERM through the engine, SIGKILL after ${formatDuration(event.grace)}`,
    async inject(signal) {
      stopped = true;
      await container.kill('SIGTERM');
      const exited = await container.waitForExit(event.grace / context.timeScale, signal);
      if (exited) {
        context.note(`exited on SIGTERM (exit code ${exited.exitCode})`);
        return;
      }
      await container.kill('SIGKILL');
      const killed = await container.waitForExit(10_000, signal);
      context.note(`graceful stop hung for ${formatDuration(event.grace)}: forced with SIGKILL${killed ? ` (exit code ${killed.exitCode})` : ''}`);
    },
    async undo() {
      if (!stopped) return;
      await startContainerAgain(context, container, event.holdClosed);
      stopped = false;
    },
  };
}
