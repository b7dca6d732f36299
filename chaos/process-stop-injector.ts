import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../scenarios/duration.ts';
import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { backendProcessOf, restartBackend, restartLeadMs } from './backend-process.ts';
import { hookInjector } from './hook-injector.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * Graceful stop: SIGTERM, and SIGKILL if the backend has not exited after
 * `grace` (scenario time), as the incident's shutdown hung and the box was
 * powered off. Undo starts it again, held closed first if asked.
 */
export function processStopInjector(event: ChaosEventOf<'stop'>, context: InjectorContext): Injector {
  // A backend the harness does not own (external) is faulted by the user's hook commands.
  if (!context.target.process && context.target.hooks?.stop) return hookInjector('stop', context);
  const process = backendProcessOf(context, 'stop');
  let stopped = false;
  return {
    kind: 'stop',
    describe: () => `SIGTERM the backend${process.pid ? ` (pid ${process.pid})` : ''}, SIGKILL after ${formatDuration(event.grace)}`,
    async inject(signal) {
      if (!process.running) return;
      stopped = true;
      process.signal('SIGTERM');
      const exitedInTime = await Promise.race([
        process.waitForExit().then(() => true),
        sleep(event.grace / context.timeScale, false, { signal }),
      ]);
      if (exitedInTime) {
        context.note('exited on SIGTERM');
      } else {
        context.note(`graceful stop hung for ${formatDuration(event.grace)}: forced with SIGKILL`);
        await process.kill();
      }
    },
    // A restart begins early by the backend's start time, and listens on schedule.
    undoLeadMs: () => restartLeadMs(process, context),
    async undo() {
      if (!stopped) return;
      // If the run is cut short during the grace period, do not leave it half-stopped.
      if (process.running) await process.kill();
      await restartBackend(context, process, event.holdClosed);
      stopped = false;
    },
  };
}
