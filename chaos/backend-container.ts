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

/** Starts a stopped container again and notes it; a running one is left alone. */
export async function startContainerAgain(context: InjectorContext, container: TargetContainer): Promise<void> {
  const state = await container.inspect();
  if (state.running) return;
  await container.start();
  context.note(`container ${container.name} started again and ready`);
}
