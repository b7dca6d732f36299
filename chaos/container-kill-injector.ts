import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { backendContainerOf, startContainerAgain } from './backend-container.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * Hard kill through the container engine: SIGKILL to the container's
 * processes (`docker kill`), so the kernel resets every socket and devices
 * see the close at once. Undo starts the same container again (its
 * writable layer, and so the backend's database, survives), held closed
 * first if asked.
 */
export function containerKillInjector(event: ChaosEventOf<'container-kill'>, context: InjectorContext): Injector {
  const container = backendContainerOf(context, 'container-kill');
  let killed = false;
  return {
    kind: 'container-kill',
    describe: () => `docker kill (SIGKILL) container ${container.name}`,
    async inject(signal) {
      killed = true;
      await container.kill('SIGKILL');
      const state = await container.waitForExit(10_000, signal);
      context.note(state ? `container exited (exit code ${state.exitCode})` : 'container still running 10 s after SIGKILL');
    },
    async undo() {
      if (!killed) return;
      await startContainerAgain(context, container, event.holdClosed);
      killed = false;
    },
  };
}
