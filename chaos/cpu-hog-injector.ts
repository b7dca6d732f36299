import { AftershockError } from '../scenarios/errors.ts';
import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { CPU_HOG_START_DELAY_MS } from '../simulators/backend/cpu-hog.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * CPU hog inside the backend: the backend burns its own event loop at a duty
 * cycle (1: the incident's 100%, nothing served, a graceful stop hangs). The
 * hog carries its own deadline (the event's length), so it ends even if the
 * harness cannot reach the backend to stop it.
 */
export function cpuHogInjector(event: ChaosEventOf<'cpu-hog'>, context: InjectorContext): Injector {
  const admin = context.target.admin;
  if (!admin) {
    throw new AftershockError('chaos-unsupported', 'chaos "cpu-hog" needs a backend that burns its own CPU on command (the reference backend does); use "cpu-burn" or "cpu-quota" for other targets');
  }
  const process = context.target.process;
  let hogPid: number | undefined;
  return {
    kind: 'cpu-hog',
    describe: () => `burn the backend's event loop at ${Math.round(event.dutyCycle * 100)}% for up to ${event.for / context.timeScale} ms of real time`,
    // The backend burns 20 ms after the command (its reply leaves first).
    injectLeadMs: () => CPU_HOG_START_DELAY_MS,
    async inject() {
      hogPid = process?.pid;
      await admin.startCpuHog(event.dutyCycle, event.for / context.timeScale);
    },
    async undo() {
      if (hogPid === undefined) return;
      // Only the process that got the command can be hogging; a restarted one is not.
      if (process === undefined || process.pid === hogPid) await admin.stopCpuHog().catch(() => undefined);
      hogPid = undefined;
    },
  };
}
