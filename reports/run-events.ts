import type { FleetEvent } from '../simulators/devices/fleet-events.ts';
import type { IntegrityEvent } from './integrity-events.ts';

export type RunPhase = 'starting-target' | 'starting-fleet' | 'steady' | 'chaos' | 'recovering' | 'settling' | 'stopping';
export type RunOutcome = 'recovered' | 'deadline' | 'interrupted' | 'error';

/**
 * Everything a run records, in the order it happened. `t` is scenario time in
 * ms since the run's origin. The event stream on disk is the source of truth:
 * summaries and reports are folds over it.
 */
export type RunEvent =
  | FleetEvent
  | {
      type: 'run-start';
      t: number;
      scenario: string;
      seed: string | number;
      timeScale: number;
      devices: number;
      startedAt: string;
      versions: Record<string, string>;
      policy: Record<string, unknown>;
    }
  | { type: 'phase'; t: number; phase: RunPhase }
  | { type: 'chaos'; t: number; kind: string; action: 'inject' | 'undo' | 'note'; index: number; detail?: string }
  | { type: 'run-end'; t: number; outcome: RunOutcome; message?: string }
  | BackendSample
  | IntegrityEvent;

/** One poll of the backend's own metrics; `reachable: false` when it did not answer in time. */
export type BackendSample =
  | {
      type: 'backend';
      t: number;
      reachable: true;
      devicesOnline: number;
      /** Share of one core used since the previous sample; null on the first after a start. */
      cpuPercent: number | null;
      rssMB: number;
      heapUsedMB: number;
      eventLoopDelayP99Ms: number;
      eventLoopDelayMaxMs: number;
    }
  | { type: 'backend'; t: number; reachable: false };

export type RunEventListener = (event: RunEvent) => void;
