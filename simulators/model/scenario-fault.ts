import type { FaultKind } from './fault-model.ts';

/** The fields of a scenario chaos event the planner reads (the schema holds more). */
export interface ChaosEventLike {
  kind: string;
  /** Scenario ms after the fleet is first online. */
  at: number;
  for: number;
  /** After a restart, how long the backend stays closed (answering 503), ms. */
  holdClosed?: number;
  /** A stop's wait for the backend to exit before SIGKILL, ms. */
  grace?: number;
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

/** Kinds the planner leaves out on purpose, and why. */
const notModelled: Record<string, string> = {
  // It used to be modelled as a freeze from its start; the devices stay online while memory fills.
  'memory-hog':
    'a memory-hog fills memory gradually and the backend stalls only when it is full, at a moment that depends on the machine; the planner does not model that',
};

/** The planner's fault for a scenario's chaos event, or a reason it has none. */
export function faultOfChaosEvent(event: ChaosEventLike): { kind: FaultKind } | { reason: string } {
  if (Object.hasOwn(notModelled, event.kind)) return { reason: `${notModelled[event.kind]}; give --fault and --outage to plan an outage of your own` };
  const of = Object.hasOwn(faultOfChaos, event.kind) ? faultOfChaos[event.kind] : undefined;
  const kind = of?.(event);
  if (kind) return { kind };
  return {
    reason: of
      ? `the planner has no model for chaos "${event.kind}" with toxic "${event.toxic?.type}"; model it with --fault`
      : `the planner has no model for chaos kind "${event.kind}" (it models ${modelledChaosKinds.join(', ')}); give --fault and --outage instead`,
  };
}

/**
 * The one outage the planner models for a scenario's chaos timeline: the
 * first event's fault, from its start to the end of the last event (a
 * restart held closed counts as down: devices get nothing but 503). Times
 * are ms after the fleet is online. Faults separated by uptime are not one
 * outage (devices come back in between): for those, and for kinds the
 * planner does not model, a reason instead.
 */
export function outageOfChaos(
  events: readonly ChaosEventLike[],
): { kind: FaultKind; atMs: number; outageMs: number; killAfterMs?: number; note?: string } | { reason: string } | null {
  if (events.length === 0) return null;
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const first = sorted[0];
  for (const event of sorted) {
    const of = faultOfChaosEvent(event);
    if ('reason' in of) return of;
  }
  let downUntil = first.at + first.for + (first.holdClosed ?? 0);
  for (const event of sorted.slice(1)) {
    if (event.at > downUntil) {
      return {
        reason: `the planner models one outage; this timeline has ${events.length} faults with the backend up between them (devices come back in between), so a single-outage prediction would not mean anything; plan each with --fault and --outage`,
      };
    }
    downUntil = Math.max(downUntil, event.at + event.for + (event.holdClosed ?? 0));
  }
  const of = faultOfChaosEvent(first);
  if ('reason' in of) return of;
  const endMs = Math.max(...events.map((e) => e.at + e.for + (e.holdClosed ?? 0)));
  // A freeze (or a cut) ended by a kill: the process dies at the kill, or at a stop's
  // SIGKILL, as a frozen backend cannot finish a graceful stop (the Nov 4 incident).
  const kill = of.kind === 'hard-kill' ? undefined : sorted.find((e) => e.kind === 'kill' || e.kind === 'stop');
  const killAfterMs = kill ? kill.at + (kill.kind === 'stop' ? (kill.grace ?? 0) : 0) - first.at : undefined;
  return {
    kind: of.kind,
    atMs: first.at,
    outageMs: endMs - first.at,
    ...(killAfterMs !== undefined && killAfterMs < endMs - first.at ? { killAfterMs } : {}),
    ...(events.length > 1 ? { note: `${events.length} chaos events modelled as one outage, from the first fault to the last restore` } : {}),
  };
}
