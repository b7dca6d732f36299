import type { ChaosEvent } from '../scenarios/scenario-schema.ts';
import type { Injector, InjectorContext } from './injector.ts';
import { processKillInjector } from './process-kill-injector.ts';

export type { Injector, InjectorContext } from './injector.ts';

type InjectorFactories = { [K in ChaosEvent['kind']]: (event: Extract<ChaosEvent, { kind: K }>, context: InjectorContext) => Injector };

/** The injector registry: one entry per chaos kind. */
export const injectors: InjectorFactories = {
  kill: processKillInjector,
} as const;

export function createInjector(event: ChaosEvent, context: InjectorContext): Injector {
  const factory = injectors[event.kind] as (e: ChaosEvent, c: InjectorContext) => Injector;
  return factory(event, context);
}
