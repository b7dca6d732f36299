import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { processStartTime } from './watchdog/undo-action.ts';
import { backendProcessOf } from './backend-process.ts';
import { hookInjector } from './hook-injector.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * Freeze: SIGSTOP the backend. The kernel still accepts TCP connections into
 * the listen backlog, but nothing answers: devices notice only when pings
 * stop (heartbeat timeout) and when handshakes never complete. Undo: SIGCONT.
 */
export function processFreezeInjector(_event: ChaosEventOf<'freeze'>, context: InjectorContext): Injector {
  // A backend the harness does not own (external) is faulted by the user's hook commands.
  if (!context.target.process && context.target.hooks?.freeze) return hookInjector('freeze', context);
  const process = backendProcessOf(context, 'freeze');
  let release: (() => void) | undefined;
  let frozenPid: number | undefined;
  return {
    kind: 'freeze',
    describe: () => `SIGSTOP the backend${process.pid ? ` (pid ${process.pid})` : ''}, SIGCONT on undo`,
    async inject() {
      const pid = process.pid;
      if (pid === undefined) return;
      // Guard first: if the harness dies now, the watchdog continues it.
      release = context.watchdog.guard({ kind: 'signal', pid, group: true, signal: 'SIGCONT', startTime: await processStartTime(pid) });
      frozenPid = pid;
      process.signal('SIGSTOP');
    },
    async undo() {
      if (frozenPid === undefined) return;
      if (process.pid === frozenPid) process.signal('SIGCONT');
      frozenPid = undefined;
      release?.();
      release = undefined;
    },
  };
}
