import { setTimeout as sleep } from 'node:timers/promises';
import { AftershockError } from '../scenarios/errors.ts';
import type { ManagedProcess } from '../scenarios/targets/managed-process.ts';
import type { InjectorContext } from './injector.ts';

/** The target's process, or a clear refusal for targets the harness does not own. */
export function backendProcessOf(context: InjectorContext, kind: string): ManagedProcess {
  const process = context.target.process;
  if (!process) {
    throw new AftershockError('chaos-unsupported', `chaos "${kind}" needs a target whose process the harness started; this target has none (use network chaos or hook commands instead)`);
  }
  return process;
}

/**
 * Brings a stopped backend back as operators did after the incident: start
 * it, optionally hold it closed (devices get 503) for `holdClosedMs` of
 * scenario time while "the database is checked", then let devices in.
 */
export async function restartBackend(context: InjectorContext, process: ManagedProcess, holdClosedMs: number, signal?: AbortSignal): Promise<void> {
  if (process.running) return;
  const admin = context.target.admin;
  if (holdClosedMs > 0 && !admin) {
    throw new AftershockError('chaos-unsupported', 'holdClosed needs a backend that can start held closed (the reference backend can); remove holdClosed for this target');
  }
  if (holdClosedMs > 0 && admin) {
    await process.start(admin.holdClosedArgs);
    context.note(`restarted held closed (pid ${process.pid}); devices get 503`);
    await sleep(holdClosedMs / context.timeScale, undefined, { signal });
    await admin.open();
    context.note('opened to devices');
  } else {
    await process.start();
    context.note(`restarted (pid ${process.pid})`);
  }
}
