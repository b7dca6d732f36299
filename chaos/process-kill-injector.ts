import { AftershockError } from '../scenarios/errors.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * Hard kill: SIGKILL the backend process (the kernel resets its sockets, so
 * devices see the close at once), and on undo start it again and wait until it
 * is ready, as after a forced power-off and a reboot.
 */
export function processKillInjector(_event: { kind: 'kill' }, context: InjectorContext): Injector {
  const process = context.target.process;
  if (!process) {
    throw new AftershockError('chaos-unsupported', 'chaos "kill" needs a target whose process the harness owns; this target has none');
  }
  let killed = false;
  return {
    kind: 'kill',
    describe: () => `SIGKILL the backend${process.pid ? ` (pid ${process.pid})` : ''}, restart it on undo`,
    async inject() {
      killed = true;
      await process.kill();
    },
    async undo() {
      if (!killed || process.running) return;
      await process.start();
      killed = false;
    },
  };
}
