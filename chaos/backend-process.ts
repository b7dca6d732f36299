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
  // Begun early by restartLeadMs (the timeline does that): listen when the scenario says.
  const lead = admin?.listenAtArgs ? admin.listenAtArgs(Date.now() + restartLeadMs(process, context)) : [];
  if (holdClosedMs > 0 && !admin) {
    throw new AftershockError('chaos-unsupported', 'holdClosed needs a backend that can start held closed (the reference backend can); remove holdClosed for this target');
  }
  if (holdClosedMs > 0 && admin) {
    await process.start([...admin.holdClosedArgs, ...lead]);
    context.note(`restarted held closed (pid ${process.pid}); devices get 503`);
    await sleep(holdClosedMs / context.timeScale, undefined, { signal });
    await admin.open();
    context.note('opened to devices');
  } else {
    await process.start(lead);
    context.note(`restarted (pid ${process.pid})`);
  }
}

/**
 * How much earlier than scheduled a restart of this backend begins: its
 * first start's time plus a margin, when the backend can be told when to
 * listen (it then waits for the scheduled moment); 0 when it cannot.
 */
export function restartLeadMs(process: ManagedProcess, context: InjectorContext): number {
  if (!context.target.admin?.listenAtArgs) return 0;
  return process.firstStartMs === undefined ? 0 : process.firstStartMs + restartLeadMarginMs;
}
/** Real ms a restart may take beyond the first start (a busier machine) and still listen on time. */
const restartLeadMarginMs = 150;
