import { cpus } from 'node:os';
import { assertMemoryLimitFits } from '../scenarios/targets/container-target.ts';
import { readMachineLimits } from '../scenarios/preflight.ts';
import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import type { ContainerState } from '../scenarios/targets/target-container.ts';
import { backendContainerOf } from './backend-container.ts';
import type { Injector, InjectorContext } from './injector.ts';

const mb = 1024 * 1024;

const show = (cpus: number | null | undefined, memoryMB: number | null | undefined): string =>
  [cpus === undefined ? '' : `${cpus ?? 'unlimited'} CPU`, memoryMB === undefined ? '' : `${memoryMB ?? 'unlimited'} MB`].filter(Boolean).join(', ');

/**
 * A live resize through the engine (`docker update`): new CPU and memory
 * limits for the running container, as a resize of the box would give. The
 * former limits come back on undo, and from the watchdog if the harness
 * dies. A memory limit never exceeds what the machine can give above its
 * 2 GiB floor.
 */
export function containerResizeInjector(event: ChaosEventOf<'container-resize'>, context: InjectorContext): Injector {
  const container = backendContainerOf(context, 'container-resize');
  let before: ContainerState | undefined;
  let release: (() => void) | undefined;
  return {
    kind: 'container-resize',
    describe: () => `docker update container ${container.name} to ${show(event.cpus, event.memory)}`,
    async inject() {
      assertMemoryLimitFits(event.memory, readMachineLimits().memAvailableMB, 'container-resize memory');
      before = await container.inspect();
      const former: { NanoCpus?: number; Memory?: number; MemorySwap?: number } = {};
      // No former CPU limit: all cores (the engine takes 0 as "unchanged").
      if (event.cpus !== undefined) former.NanoCpus = Math.round((before.cpus ?? cpus().length) * 1e9);
      if (event.memory !== undefined && before.memoryMB !== null) former.Memory = former.MemorySwap = before.memoryMB * mb;
      release = context.watchdog.guard({ kind: 'docker', op: 'update', container: container.id, limits: former });
      await container.update({ cpus: event.cpus, memoryMB: event.memory });
      const was = show(event.cpus === undefined ? undefined : before.cpus, event.memory === undefined ? undefined : before.memoryMB);
      context.note(`limits ${was} -> ${show(event.cpus, event.memory)}`);
    },
    async undo() {
      if (!before) return;
      const state = before;
      before = undefined;
      await container.update({ ...(event.cpus === undefined ? {} : { cpus: state.cpus }), ...(event.memory === undefined ? {} : { memoryMB: state.memoryMB }) });
      release?.();
      release = undefined;
    },
  };
}
