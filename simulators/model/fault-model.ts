/**
 * How a fault reaches the devices. The planner models one outage: the
 * backend fails at `atMs` and is back at `atMs + outageMs` (scenario ms).
 */
export type FaultKind = 'hard-kill' | 'freeze' | 'network-cut';

export interface FaultParams {
  kind: FaultKind;
  /** When the fault hits, scenario ms. */
  atMs: number;
  /** How long the backend is unreachable, ms (0: back at once). */
  outageMs: number;
  /**
   * A freeze or a cut ended by a kill inside the outage (the Nov 4 lockup,
   * forced off): from this scenario ms on, attempts are refused at once, the
   * hanging ones and the handshakes in flight are reset at it, and devices
   * that had not yet noticed the freeze lose their connection at it
   * (`close`). Until the restore the backend stays down.
   */
  killAtMs?: number;
}

/** Which timeout ends an attempt made while the backend is unreachable ('none': it fails at once). */
export type OutageTimeout = 'none' | 'connect' | 'handshake';

/**
 * The behaviour of one fault kind, from the devices' side.
 * Contract: `notice` says how an online device learns of the fault ('reset':
 * at the fault, counted as lost by `close`; 'heartbeat': when its heartbeat
 * timeout fires, counted as `heartbeat-timeout`, and not at all if the
 * backend is back first); an attempt during the outage fails with
 * `attemptCause` once `attemptTimeout` has run (an attempt whose timeout would
 * run past the restore is served at the restore instead: the frozen backend
 * or the healed network picks it up); a handshake in flight at the fault
 * fails with `inFlightCause`.
 */
export interface FaultBehaviour {
  readonly description: string;
  readonly notice: 'reset' | 'heartbeat';
  readonly attemptCause: 'refused' | 'connect-timeout' | 'handshake-timeout';
  readonly attemptTimeout: OutageTimeout;
  readonly inFlightCause: 'reset' | 'handshake-timeout';
}

/** The fault registry: one entry per kind. */
export const faults: Record<FaultKind, FaultBehaviour> = {
  'hard-kill': {
    description: 'the process dies; the kernel resets every socket and refuses new ones',
    notice: 'reset',
    attemptCause: 'refused',
    attemptTimeout: 'none',
    inFlightCause: 'reset',
  },
  freeze: {
    description: 'the process stops answering (SIGSTOP, CPU lockup); TCP still connects, handshakes never complete',
    notice: 'heartbeat',
    attemptCause: 'handshake-timeout',
    attemptTimeout: 'handshake',
    inFlightCause: 'handshake-timeout',
  },
  'network-cut': {
    description: 'packets are dropped both ways; nobody sees anything until timeouts fire',
    notice: 'heartbeat',
    attemptCause: 'connect-timeout',
    attemptTimeout: 'connect',
    inFlightCause: 'handshake-timeout',
  },
};

export const faultKinds = Object.keys(faults) as FaultKind[];

export function isFaultKind(kind: string): kind is FaultKind {
  return Object.hasOwn(faults, kind);
}
