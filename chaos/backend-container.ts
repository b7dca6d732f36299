import { setTimeout as sleep } from 'node:timers/promises';
import { AftershockError } from '../scenarios/errors.ts';
import type { TargetContainer } from '../scenarios/targets/target-container.ts';
import type { InjectorContext } from './injector.ts';

/** The target's container, or a clear refusal for targets that are not containers. */
export function backendContainerOf(context: InjectorContext, kind: string): TargetContainer {
  const container = context.target.container;
  if (!container) {
    throw new AftershockError('chaos-unsupported', `chaos "${kind}" needs a container target (target.kind "container"); this target is not one (use "kill", "stop" or "freeze" for a process target)`);
  }
  return container;
}

/**
 * Starts a stopped container again and notes it; a running one is left
 * alone. With `holdClosedMs`, as operators did after the incident: it
 * starts held closed (devices get 503) for that much scenario time, then
 * devices are let in; only a backend that can (the reference image) is.
 */
export async function startContainerAgain(context: InjectorContext, container: TargetContainer, holdClosedMs = 0): Promise<void> {
  const state = await container.inspect();
  if (state.running) return;
  if (holdClosedMs <= 0) {
    await container.start();
    context.note(`container ${container.name} started again and ready`);
    return;
  }
  const admin = context.target.admin;
  if (!admin?.holdClosedFile) {
    throw new AftershockError('chaos-unsupported', `holdClosed needs a container that can start held closed (the reference image can); container ${container.name} cannot: remove holdClosed for this image`);
  }
  await container.putFile(admin.holdClosedFile, '');
  await container.start();
  context.note(`container ${container.name} started again held closed; devices get 503`);
  await sleep(holdClosedMs / context.timeScale);
  await admin.open();
  context.note('opened to devices');
}
