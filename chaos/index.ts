import type { ChaosEvent } from '../scenarios/scenario-schema.ts';
import type { Injector, InjectorContext } from './injector.ts';
import { containerEquivalentOf } from './container-equivalents.ts';
import { containerKillInjector } from './container-kill-injector.ts';
import { containerOomInjector } from './container-oom-injector.ts';
import { containerPauseInjector } from './container-pause-injector.ts';
import { containerResizeInjector } from './container-resize-injector.ts';
import { containerRestartInjector } from './container-restart-injector.ts';
import { containerStopInjector } from './container-stop-injector.ts';
import { cpuBurnInjector } from './cpu-burn-injector.ts';
import { cpuHogInjector } from './cpu-hog-injector.ts';
import { cpuQuotaInjector } from './cpu-quota-injector.ts';
import { memoryHogInjector } from './memory-hog-injector.ts';
import { networkInjector } from './network-injector.ts';
import { processFreezeInjector } from './process-freeze-injector.ts';
import { processKillInjector } from './process-kill-injector.ts';
import { processStopInjector } from './process-stop-injector.ts';

export type { Injector, InjectorContext } from './injector.ts';

export type InjectorFactories = { [K in ChaosEvent["kind"]]: (event: Extract<ChaosEvent, { kind: K }>, context: InjectorContext) => Injector };

/**
 * The injector registry: one entry per chaos kind.
 * Typed over every kind, so a kind added to the schema without an injector
 * is a compile error.
 */
export const injectors: InjectorFactories = {
  kill: processKillInjector,
  stop: processStopInjector,
  freeze: processFreezeInjector,
  'cpu-hog': cpuHogInjector,
  'cpu-burn': cpuBurnInjector,
  'cpu-quota': cpuQuotaInjector,
  'memory-hog': memoryHogInjector,
  network: networkInjector,
  'container-kill': containerKillInjector,
  'container-stop': containerStopInjector,
  'container-pause': containerPauseInjector,
  'container-resize': containerResizeInjector,
  'container-oom': containerOomInjector,
  'container-restart': containerRestartInjector,
} as const;

/**
 * The injector for one event. On a container target (no process of the
 * harness's own) kill, stop and freeze are the same faults through the
 * engine: docker kill, stop and pause (see container-equivalents.ts).
 */
export function createInjector(event: ChaosEvent, context: InjectorContext): Injector {
  const done = (context.target.container && !context.target.process ? containerEquivalentOf(event) : undefined) ?? event;
  const factory = injectors[done.kind] as (e: ChaosEvent, c: InjectorContext) => Injector;
  return factory(done, context);
}
