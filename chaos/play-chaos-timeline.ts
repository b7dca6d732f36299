import type { RunEvent } from '../reports/run-events.ts';
import type { PlannedChaosStep } from '../scenarios/plan-run.ts';
import { createInjector, type Injector, type InjectorContext } from './index.ts';

export interface ChaosTimelineOptions {
  /** The planned steps, in order (from planRun). */
  steps: readonly PlannedChaosStep[];
  /** Scenario time the steps count from (the moment the fleet was online), ms. */
  startAt: number;
  /** Sleeps until scenario time `t`; rejects when the run is aborted. */
  until: (t: number) => Promise<unknown>;
  now: () => number;
  /** Everything an injector may act on, but the note callback (made per step). */
  context: Omit<InjectorContext, 'note'>;
  emit: (event: RunEvent) => void;
  /** Injectors in effect; the caller undoes what is left on every exit path. */
  active: Set<Injector>;
  signal?: AbortSignal;
}

/**
 * Plays a chaos timeline: each step at its time, inject or undo, recorded as
 * chaos events. Used by a full run and by `chaos play` (load from k6).
 */
export async function playChaosTimeline(options: ChaosTimelineOptions): Promise<void> {
  const { steps, startAt, until, now, context, emit, active, signal } = options;
  const injectors = new Map<number, Injector>();
  for (const step of steps) {
    const { kind } = step.event;
    const stepContext: InjectorContext = {
      ...context,
      note: (detail) => emit({ type: 'chaos', t: now(), kind, action: 'note', index: step.index, detail }),
    };
    const scheduledAt = startAt + step.afterOnlineMs;
    const injector = step.action === 'inject' ? createInjector(step.event, stepContext) : injectors.get(step.index)!;
    // A step that takes time to be in effect (a restart, a hog's start) begins early by that time.
    const leadMs = (step.action === 'undo' ? (injector.undoLeadMs?.() ?? 0) : (injector.injectLeadMs?.() ?? 0)) * context.timeScale;
    await until(scheduledAt - leadMs);
    if (step.action === 'inject') {
      injectors.set(step.index, injector);
      active.add(injector);
      const injected = (): void => emit({ type: 'chaos', t: now(), kind, action: 'inject', index: step.index, detail: injector.describe() });
      if (leadMs === 0) injected();
      await injector.inject(signal);
      // Recorded when in effect: the lead after the command was answered (a hog burns 20 ms after
      // its command; a busy backend answers late, and then the fault is late, and recorded so).
      if (leadMs > 0) {
        await until(now() + leadMs);
        injected();
      }
    } else {
      await injector.undo();
      active.delete(injector);
      emit({ type: 'chaos', t: now(), kind, action: 'undo', index: step.index });
    }
  }
}
