import type { FaultKind } from './fault-model.ts';

/** The fields of a scenario chaos event the planner reads (the schema holds more). */
export interface ChaosEventLike {
  kind: string;
  /** Scenario ms after the fleet is first online. */
  at: number;
  for: number;
  toxic?: { type: string };
}

/**
 * How each chaos kind reaches the devices, as far as the planner models it.
 * A function per kind, so a kind whose effect depends on its parameters
 * (a network toxic) can say so; undefined: no model for it.
 */
const faultOfChaos: Record<string, (event: ChaosEventLike) => FaultKind | undefined> = {
  kill: () => 'hard-kill',
  // A graceful stop closes every socket too; devices see `close` at once.
  stop: () => 'hard-kill',
  freeze: () => 'freeze',
  // At 100% CPU the kernel still accepts TCP but the process answers nothing: a freeze.
  'cpu-hog': () => 'freeze',
  network: (event) => (event.toxic?.type === 'timeout' ? 'network-cut' : event.toxic?.type === 'down' ? 'hard-kill' : undefined),
};

export const modelledChaosKinds = Object.keys(faultOfChaos);

/** The planner's fault for a scenario's chaos event, or a reason it has none. */
export function faultOfChaosEvent(event: ChaosEventLike): { kind: FaultKind } | { reason: string } {
  const of = Object.hasOwn(faultOfChaos, event.kind) ? faultOfChaos[event.kind] : undefined;
  const kind = of?.(event);
  if (kind) return { kind };
  return {
    reason: of
      ? `the planner has no model for chaos "${event.kind}" with toxic "${event.toxic?.type}"; model it with --fault`
      : `the planner has no model for chaos kind "${event.kind}" (it models ${modelledChaosKinds.join(', ')}); give --fault and --outage instead`,
  };
}
