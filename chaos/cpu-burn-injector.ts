import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { formatDuration } from '../scenarios/duration.ts';
import { ChaosProcess, ownDeadlineMs, parseJsonLine } from './hogs/chaos-process.ts';
import type { Injector, InjectorContext } from './injector.ts';
import { allowedCpuCount } from './proc-info.ts';

const burnerMain = fileURLToPath(new URL('./hogs/cpu-burner.ts', import.meta.url));

/** How long a burner gets to start and say so, in ms (a Node start on a busy machine). */
const START_TIMEOUT_MS = 15_000;

export interface CpuBurnInjector extends Injector {
  /** The burner processes while the fault is in effect (empty before and after). */
  readonly burners: readonly ChaosProcess[];
}

/**
 * CPU saturation from outside: burner processes, each spinning one core,
 * compete with the backend for its cores, as a noisy neighbour on a shared
 * host does. By default one burner per core the backend may run on (its
 * Cpus_allowed_list), or per core of the machine when the harness does not
 * own the backend's process. Burners are not pinned: with N burners for N
 * cores, the scheduler shares the cores among N + the backend's busy threads.
 *
 * Works the same on cgroup v1, v2 or none: it needs no cgroup. Each burner
 * runs in a session of its own (so in its own scheduler autogroup where the
 * kernel has them, a peer of the backend's) and in the harness's cgroup; a
 * backend in another cgroup competes with them group against group
 * (cpu.shares / cpu.weight), not process against process.
 *
 * Bounded three ways: undo stops them; each ends by itself at the fault's
 * end plus a margin; the watchdog SIGKILLs them (by PID and start time) and
 * they end on the close of their stdin if the harness dies.
 */
export function cpuBurnInjector(event: ChaosEventOf<'cpu-burn'>, context: InjectorContext): CpuBurnInjector {
  const backendPid = context.target.process?.pid;
  const count = event.burners ?? (backendPid !== undefined ? allowedCpuCount(backendPid) : undefined) ?? availableParallelism();
  const lifetimeMs = ownDeadlineMs(event.for, context.timeScale);
  let burners: ChaosProcess[] = [];
  let stopped = false;

  return {
    kind: 'cpu-burn',
    get burners() {
      return burners;
    },
    describe() {
      const pids = burners.length > 0 ? ` (pids ${burners.map((b) => b.pid).join(', ')})` : '';
      return (
        `${count} CPU burner process${count === 1 ? '' : 'es'}${pids} compete for the backend's cores for ${formatDuration(event.for)}` +
        `; each ends by itself after ${formatDuration(lifetimeMs)} real time`
      );
    },
    async inject(signal?: AbortSignal) {
      for (let index = 0; index < count && !stopped; index++) {
        signal?.throwIfAborted();
        const burner = await ChaosProcess.start({
          name: `cpu burner ${index + 1} of ${count}`,
          script: burnerMain,
          // The run folder too, so that `ps` tells which run a burner belongs to.
          args: [String(lifetimeMs), `--run=${context.runDir}`],
          logPath: join(context.runDir, 'chaos-cpu-burn.log'),
          watchdog: context.watchdog,
          // Where the kernel groups scheduling by session (autogroup), burners in
          // the harness's session would share one slice against the backend's;
          // each in a session of its own, each competes with it as a peer.
          ownSession: true,
        });
        burners.push(burner);
        // An undo that came while this one started has not seen it.
        if (stopped) await burner.stop();
      }
      // In effect once every burner runs its loop.
      await Promise.all(burners.map((burner) => burner.waitForLine((line) => (parseJsonLine(line)?.started ? true : undefined), START_TIMEOUT_MS, signal)));
    },
    async undo() {
      if (stopped) return;
      stopped = true;
      await Promise.all(burners.map((burner) => burner.stop()));
      burners = [];
    },
  };
}
