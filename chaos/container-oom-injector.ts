import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { backendContainerOf, startContainerAgain } from './backend-container.ts';
import type { Injector, InjectorContext } from './injector.ts';

/**
 * The hog, run with the container's own Node (`node -e HOG RATE MAX_MB
 * DEADLINE_MS`). It first makes the backend (PID 1) the OOM killer's first
 * choice (oom_score_adj 1000: allowed without privileges, it only raises a
 * score), as when the backend itself is what grows; then it touches 8 MB
 * buffers at RATE MB/s. It is bounded twice: by the container's memory
 * cgroup (the kernel ends the backend, and with PID 1 the whole container,
 * hog included), and by itself (MAX_MB, a little past the limit, and
 * DEADLINE_MS) should the limit not hold.
 */
export const memoryHogScript = `
try { require('fs').writeFileSync('/proc/1/oom_score_adj', '1000'); } catch {}
const [rate, maxMB, deadlineMs] = process.argv.slice(1).map(Number);
const held = [];
let total = 0;
const start = Date.now();
(function grow() {
  const elapsed = Date.now() - start;
  if (elapsed > deadlineMs || total >= maxMB) { held.length = 0; console.log('hog stopped at ' + total + ' MB'); return; }
  while (total < Math.min(maxMB, (rate * elapsed) / 1000 + 8)) { held.push(Buffer.alloc(8 << 20, 1)); total += 8; }
  setTimeout(grow, 5);
})();
`;

/**
 * Memory exhaustion inside the container: a hog grows into the container's
 * memory limit until the kernel's OOM killer ends the backend. The engine's
 * own report (State.OOMKilled from `docker inspect`) says whether that is
 * what happened, and the note says so. Undo starts the container again.
 * Needs a memory limit on the target (else the hog would grow into the
 * machine) and `node` in the image (the reference image has it).
 */
export function containerOomInjector(event: ChaosEventOf<'container-oom'>, context: InjectorContext): Injector {
  const container = backendContainerOf(context, 'container-oom');
  let injected = false;
  return {
    kind: 'container-oom',
    describe: () => `memory hog in container ${container.name} grows by ${event.rateMBps} MB/s into its memory limit`,
    async inject(signal) {
      const state = await container.inspect();
      if (state.memoryMB === null) throw new Error(`container-oom: container ${container.name} has no memory limit; the hog would grow into the machine (set target.memory)`);
      injected = true;
      const maxMB = state.memoryMB + 64;
      // Enough time to reach the limit at the rate, plus the kernel's reclaim before it gives up.
      const budgetMs = Math.ceil((maxMB / event.rateMBps) * 1000) + 10_000;
      // `node` on the container's PATH (the engine gives every container a default PATH).
      const hog = container
        .exec(['node', '-e', memoryHogScript, String(event.rateMBps), String(maxMB), String(budgetMs)])
        .catch((error: unknown) => ({ exitCode: -1, output: (error as Error).message }));
      // The container exits when the backend (PID 1) is killed; the hog ends with it, or alone if node is missing.
      const settled = new AbortController();
      const waiting = signal ? AbortSignal.any([signal, settled.signal]) : settled.signal;
      const exited = await Promise.race([
        container.waitForExit(budgetMs, waiting),
        hog.then((r) => (r.exitCode === 126 || r.exitCode === 127 ? undefined : container.waitForExit(5_000, waiting))),
      ]).finally(() => settled.abort());
      const result = await hog;
      if (result.exitCode === 126 || result.exitCode === 127) {
        throw new Error(`container-oom: could not run node in container ${container.name} (exit code ${result.exitCode}); the hog needs node in the image (the reference image has it)`);
      }
      if (!exited) {
        context.note(`no OOM kill within ${budgetMs} ms; the hog ended (exit code ${result.exitCode}${result.output ? `: ${result.output.trim().slice(0, 200)}` : ''})`);
      } else if (exited.oomKilled && !state.oomKilled) {
        context.note(`OOM-killed at the ${state.memoryMB} MB limit (the engine reports OOMKilled; exit code ${exited.exitCode})`);
      } else if (exited.oomKilled) {
        // The engine keeps the flag across starts: it was already set by an earlier OOM kill.
        context.note(`container exited (exit code ${exited.exitCode}); the engine's OOMKilled flag was already set by an earlier OOM kill, so it cannot tell this one`);
      } else {
        context.note(`container exited (exit code ${exited.exitCode}) but the engine does not report an OOM kill`);
      }
    },
    async undo() {
      if (!injected) return;
      await startContainerAgain(context, container);
      injected = false;
    },
  };
}
