import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { backendProcessOf, restartBackend, restartLeadMs } from './backend-process.ts';
import { hookInjector } from './hook-injector.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * Hard kill: SIGKILL the backend process (the kernel resets its sockets, so
 * devices see the close at once), as a forced power-off does. Undo starts it
 * again, held closed first if asked.
 */
export function processKillInjector(event: ChaosEventOf<'kill'>, context: InjectorContext): Injector {
  // A backend the harness does not own (external) is faulted by the user's hook commands.
  if (!context.target.process && context.target.hooks?.kill) return hookInjector('kill', context);
  const process = backendProcessOf(context, 'kill');
  let killed = false;
  return {
    kind: 'kill',
    describe: () => `SIGKILL the backend${process.pid ? ` (pid ${process.pid})` : ''}`,
    async inject() {
      killed = true;
      await process.kill();
    },
    // A restart begins early by the backend's start time, and listens on schedule.
    undoLeadMs: () => restartLeadMs(process, context),
    async undo() {
      if (!killed) return;
      await restartBackend(context, process, event.holdClosed);
      killed = false;
    },
  };
}
