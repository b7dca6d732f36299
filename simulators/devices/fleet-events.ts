import type { FetchFailureCause } from './content-fetcher.ts';

/** Why one connection attempt failed. Each sends the device back to its policy. */
export type FailureCause =
  | 'refused'
  | 'reset'
  | 'connect-timeout'
  | 'handshake-timeout'
  | 'rejected-503'
  | 'rejected'
  | 'address-unavailable'
  | 'too-many-files'
  | 'error';

/** How an online device noticed that its connection was gone. */
export type LossCause = 'close' | 'error' | 'heartbeat-timeout';

/**
 * What the fleet reports. `t` is scenario time in ms since the run's origin
 * (real elapsed time multiplied by the time scale); `device` is the device's
 * index in the fleet. `handshakeMs` is real time: latency is physical and is
 * not scaled.
 */
export type FleetEvent =
  | { type: 'wait'; t: number; device: number; attempt: number; delayMs: number }
  | { type: 'attempt'; t: number; device: number; attempt: number }
  | { type: 'online'; t: number; device: number; attempt: number; handshakeMs: number }
  | { type: 'failure'; t: number; device: number; attempt: number; cause: FailureCause }
  | { type: 'lost'; t: number; device: number; cause: LossCause }
  | { type: 'content'; t: number; device: number; version: number }
  /** Content is on screen: fetched from the origin (not the backend); `version` is the assignment shown. */
  | { type: 'showing'; t: number; device: number; version: number }
  /** A fetch from the origin failed; the device keeps showing what it showed. */
  | { type: 'content-fetch-failed'; t: number; device: number; what: 'manifest' | 'content'; cause: FetchFailureCause };

export type FleetEventListener = (event: FleetEvent) => void;
