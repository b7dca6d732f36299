import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AftershockError } from '../scenarios/errors.ts';
import { formatDuration } from '../scenarios/duration.ts';
import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { ChildCgroup, cgroupUnsupportedError, isAftershockGroup, probeCgroup, type CgroupHost, type CgroupPlace } from './cgroup.ts';
import { ChaosProcess, ownDeadlineMs, parseJsonLine, type ChaosProcessExit } from './hogs/chaos-process.ts';
import type { Injector, InjectorContext } from './injector.ts';
import { descendants, isAlive } from './proc-info.ts';
import { processStartTime } from './watchdog/undo-action.ts';

const hogMain = fileURLToPath(new URL('./hogs/memory-hog.ts', import.meta.url));

/** The machine is never taken below this much available memory, whatever the event says. */
export const HARD_FLOOR_MB = 2048;
const START_TIMEOUT_MS = 15_000;
/** How often OOM kills and stalls in the cgroup are looked for, in ms. */
const POLL_MS = 100;
/**
 * The hog's oom_score_adj inside a shared cgroup. The hog leaves the cgroup
 * a little room and stops, so it is the backend's next allocation that takes
 * the group over its limit; but the OOM killer picks the process with the
 * most memory, which is the hog, and the fault would never reach the backend.
 * -999 makes the hog the last choice (a memory-cgroup OOM scores
 * rss + adj/1000 * limit, never below 1) and yet, unlike -1000, killable if
 * it is the only process left. Needs CAP_SYS_RESOURCE; without it the hog
 * keeps its score and the outcome shows whom the kernel chose.
 */
const HOG_OOM_SCORE_ADJ = -999;

/** What the hog did, as it reported it, and what the OOM killer did. */
export interface MemoryHogOutcome {
  /**
   * Why it stopped growing, once it did: its bound; the free-memory floor
   * (it stopped early); the shared cgroup is full but for a margin the
   * backend's next allocations take it over; its deadline.
   */
  stoppedBy?: 'limit' | 'floor' | 'cgroup' | 'deadline';
  /** Memory it held at most, in MB. */
  allocatedMB: number;
  /** MemAvailable when it stopped growing, in MB. */
  availableMB?: number;
  floorMB: number;
  limitMB: number;
  /** Memory it gave back while holding because others took the machine below the floor, in MB. */
  releasedMB: number;
  /** Processes the OOM killer killed in the cgroup, in the order seen. */
  oomKilled: { who: 'backend' | 'hog'; pid: number; afterMs: number }[];
  /** OOM kills the cgroup counted (v1 memory.oom_control, v2 memory.events), where it counts them. */
  cgroupOomKills?: number;
  /** With onLimit 'stall': when processes in the cgroup were first seen waiting for memory, in ms after inject. */
  stalledAfterMs?: number;
  /** Memory charged to the cgroup at most, in MB (v1, and v2 from Linux 5.19). */
  cgroupPeakMB?: number;
  /** How the hog process ended. */
  hogExit?: ChaosProcessExit;
}

export interface MemoryHogInjector extends Injector {
  readonly outcome: MemoryHogOutcome;
  /** The hog while it runs. */
  readonly hog: ChaosProcess | undefined;
  /** The shared cgroup, with `cgroupLimitMB`. */
  readonly cgroup: ChildCgroup | undefined;
}

/**
 * Memory exhaustion by a noisy neighbour: a hog process that grows at
 * `rateMBps` up to `limitMB` and holds it, never taking the machine below
 * `floorMB` available (never below 2048 MB); if it stops at the floor, the
 * outcome and `describe()` say it stopped early, with the figures.
 *
 * With `cgroupLimitMB`, the backend and the hog share one new memory cgroup
 * of that size. The hog fills it (up to its own bound) but for a small
 * margin, so the backend's next allocations take the group over its limit:
 * with `onLimit` 'oom-kill' the OOM killer ends a process in the group (the
 * hog makes itself the last choice, see HOG_OOM_SCORE_ADJ), with 'stall'
 * the backend waits for memory. OOM kills of either are detected (the
 * cgroup's oom_kill counter, and which of the two died), stalls too, and
 * both are reported. cgroup v1: a child of the backend's memory group,
 * memory.limit_in_bytes, and for 'stall' memory.oom_control 1 (OOM killer
 * off); v2: memory.max, or for 'stall' memory.high (v2 cannot turn the OOM
 * killer off; past memory.high the kernel throttles every allocation); see
 * cgroup.ts for where the group goes. Without a usable memory cgroup, an
 * event with `cgroupLimitMB` is refused when the injector is made; one
 * without runs anywhere. The kernel does not move memory the backend held
 * before into the group: the limit counts what both allocate from the start
 * of the fault.
 */
export function memoryHogInjector(event: ChaosEventOf<'memory-hog'>, context: InjectorContext, host: CgroupHost = {}): MemoryHogInjector {
  const floorMB = Math.max(HARD_FLOOR_MB, event.floorMB ?? HARD_FLOOR_MB);
  const cgroupLimitMB = event.cgroupLimitMB;
  const lifetimeMs = ownDeadlineMs(event.for, context.timeScale);
  // The backend's process matters only when it shares the hog's cgroup.
  const target = context.target.process;
  if (cgroupLimitMB !== undefined) {
    if (!target) {
      throw new AftershockError(
        'chaos-unsupported',
        'chaos "memory-hog" with cgroupLimitMB needs a target whose process the harness started, to put it in the cgroup; this target has none (drop cgroupLimitMB to run the hog beside it)',
      );
    }
    // Refuse now, while nothing is started, if the kernel offers no memory cgroup.
    const probe = target.pid !== undefined ? probeCgroup('memory', target.pid, host) : undefined;
    if (probe && !probe.usable) throw cgroupUnsupportedError('memory-hog', probe);
  }

  const outcome: MemoryHogOutcome = { allocatedMB: 0, floorMB, limitMB: event.limitMB, releasedMB: 0, oomKilled: [] };
  let hog: ChaosProcess | undefined;
  let group: ChildCgroup | undefined;
  let backend: { pid: number; startTime: string | undefined } | undefined;
  let oomBaseline: number | undefined;
  let stallBaseline: number | undefined;
  let monitor: NodeJS.Timeout | undefined;
  let injectedAt = 0;
  let undone = false;
  let stopping = false;

  /** Attributes the cgroup's new OOM kills to whichever of the backend and the hog died. */
  const checkOom = async (): Promise<void> => {
    const counted = group ? await group.oomKills() : undefined;
    if (counted !== undefined && oomBaseline !== undefined) outcome.cgroupOomKills = counted - oomBaseline;
    const kills = outcome.cgroupOomKills;
    const seen = (who: 'backend' | 'hog'): boolean => outcome.oomKilled.some((kill) => kill.who === who);
    const record = (who: 'backend' | 'hog', pid: number): void => {
      const afterMs = Math.round(performance.now() - injectedAt);
      outcome.oomKilled.push({ who, pid, afterMs });
      context.note(`the OOM killer killed the ${who} (pid ${pid})${group ? ` in the ${cgroupLimitMB} MB memory cgroup` : ''}`);
    };
    // The counter says how many; which process is told by who died. Without
    // a counter (old kernels), a hog ended by a SIGKILL we did not send counts.
    const budget = kills ?? Number.POSITIVE_INFINITY;
    if (backend && kills !== undefined && !seen('backend') && outcome.oomKilled.length < budget && !isAlive(backend.pid, backend.startTime)) {
      record('backend', backend.pid);
    }
    const hogExit = hog?.exitStatus;
    if (hog && hogExit?.signal === 'SIGKILL' && !stopping && !seen('hog') && outcome.oomKilled.length < budget) record('hog', hog.pid);
  };

  /** Notes the first time processes in the cgroup wait for memory (v1 under_oom, v2 new memory.high events). */
  const checkStall = async (): Promise<void> => {
    if (!group || event.onLimit !== 'stall' || outcome.stalledAfterMs !== undefined) return;
    const count = await group.stallCount();
    if (count === undefined || count <= (group.version === 'v1' ? 0 : (stallBaseline ?? 0))) return;
    outcome.stalledAfterMs = Math.round(performance.now() - injectedAt);
    context.note(
      group.version === 'v1'
        ? `the ${cgroupLimitMB} MB memory cgroup is full and its OOM killer is off: the backend waits for memory`
        : `the ${cgroupLimitMB} MB memory cgroup is over memory.high: the kernel throttles the backend's allocations`,
    );
  };

  return {
    kind: 'memory-hog',
    outcome,
    get hog() {
      return hog;
    },
    get cgroup() {
      return group;
    },
    describe() {
      const full = event.onLimit === 'stall' ? 'stalls when full' : 'OOM-kills when full';
      const shared = cgroupLimitMB !== undefined ? `, sharing a ${cgroupLimitMB} MB memory cgroup with the backend that ${full}` : '';
      let text = `memory hog${hog ? ` (pid ${hog.pid})` : ''}: grow ${event.rateMBps} MB/s up to ${event.limitMB} MB${shared}, never below ${floorMB} MB available, for ${formatDuration(event.for)}`;
      const { stoppedBy, allocatedMB, availableMB } = outcome;
      const seen = availableMB === undefined ? 'MemAvailable unreadable' : `${availableMB} MB available`;
      if (stoppedBy === 'floor') text += `; stopped early at the free-memory floor: ${seen} (floor ${floorMB} MB), holding ${allocatedMB} of ${event.limitMB} MB`;
      else if (stoppedBy === 'limit') text += `; reached its bound of ${allocatedMB} MB (${seen})`;
      else if (stoppedBy === 'cgroup') text += `; filled the cgroup, holding ${allocatedMB} MB`;
      else if (stoppedBy === 'deadline') text += `; its deadline came first, at ${allocatedMB} MB`;
      if (outcome.stalledAfterMs !== undefined) text += `; the backend waited for memory from ${formatDuration(outcome.stalledAfterMs)}`;
      if (outcome.releasedMB > 0) text += `; gave back ${outcome.releasedMB} MB when others took the machine below the floor`;
      for (const kill of outcome.oomKilled) text += `; the OOM killer killed the ${kill.who} (pid ${kill.pid}) after ${formatDuration(kill.afterMs)}`;
      return text;
    },
    async inject(signal?: AbortSignal) {
      injectedAt = performance.now();
      let place: CgroupPlace | undefined;
      let pid: number | undefined;
      if (cgroupLimitMB !== undefined) {
        pid = target!.pid;
        if (pid === undefined) {
          throw new AftershockError('chaos-target-not-running', 'chaos "memory-hog" with cgroupLimitMB: the backend is not running, so there is no process to put in the cgroup');
        }
        const probe = probeCgroup('memory', pid, host);
        if (!probe.usable) throw cgroupUnsupportedError('memory-hog', probe);
        if (isAftershockGroup(probe.place.groupDir)) {
          throw new AftershockError(
            'chaos-overlap',
            `chaos "memory-hog": the backend (pid ${pid}) is already in ${probe.place.groupDir}, a cgroup of another aftershock event; cgroup faults on one backend must not overlap in time`,
          );
        }
        place = probe.place;
        backend = { pid, startTime: await processStartTime(pid) };
      }

      // The hog starts (and waits) before the cgroup is made, so that its
      // watchdog guard is older than the cgroup's: the watchdog performs the
      // newest first, so if the harness dies it lifts the limit, moves the
      // live hog and the backend out and removes the group before it kills
      // the hog. A hog killed inside the group would keep it busy for a
      // moment and the removal would fail.
      hog = await ChaosProcess.start({
        name: 'memory hog',
        script: hogMain,
        // --expose-gc: so that memory given back at the floor is freed at once.
        nodeArgs: ['--expose-gc'],
        // libuv's io_uring fails (and says so) when the shared cgroup is full; epoll does not need the memory.
        env: { UV_USE_IO_URING: '0' },
        // The run folder too, so that `ps` tells which run a hog belongs to.
        args: [JSON.stringify({ rateMBps: event.rateMBps, limitMB: event.limitMB, floorMB, forMs: lifetimeMs, waitForGo: true }), `--run=${context.runDir}`],
        logPath: join(context.runDir, 'chaos-memory-hog.log'),
        watchdog: context.watchdog,
      });
      const started = hog;
      started.onLine((line) => {
        const message = parseJsonLine(line);
        if (!message) return;
        if (typeof message.allocatedMB === 'number') outcome.allocatedMB = Math.max(outcome.allocatedMB, message.allocatedMB);
        if (typeof message.stoppedBy === 'string') {
          outcome.stoppedBy = message.stoppedBy as MemoryHogOutcome['stoppedBy'];
          outcome.availableMB = (message.availableMB as number | null) ?? undefined;
          const held = `holding ${outcome.allocatedMB} of ${event.limitMB} MB`;
          const seen = outcome.availableMB === undefined ? 'MemAvailable unreadable' : `${outcome.availableMB} MB available`;
          if (outcome.stoppedBy === 'floor') context.note(`memory hog stopped early at the free-memory floor: ${seen} (floor ${floorMB} MB), ${held}`);
          else if (outcome.stoppedBy === 'limit') context.note(`memory hog reached its bound, ${held}; ${outcome.availableMB} MB still available`);
          else if (outcome.stoppedBy === 'cgroup') context.note(`memory hog filled the ${cgroupLimitMB} MB cgroup it shares with the backend, ${held}`);
          else context.note(`memory hog reached its deadline while growing, ${held}`);
        }
        if (typeof message.released === 'number') {
          outcome.releasedMB += message.released;
          context.note(`memory hog gave back ${message.released} MB: the machine went below the ${floorMB} MB floor`);
        }
      });
      void started.exited.then(async (exit) => {
        outcome.hogExit = exit;
        // Without a cgroup too: a SIGKILL we did not send is the OOM killer's.
        await checkOom();
      });
      await started.waitForLine((line) => (parseJsonLine(line)?.ready ? true : undefined), START_TIMEOUT_MS, signal);

      let go = 'go';
      if (place && pid !== undefined && cgroupLimitMB !== undefined) {
        if (undone) return;
        const made = await ChildCgroup.create(place, context.watchdog, { kind: 'memory-hog', pid });
        group = made;
        if (undone) return made.remove();
        await made.moveIn(pid);
        // Its workers too; one may exit meanwhile, which leaves nothing to move.
        for (const child of descendants(pid)) await made.moveIn(child).catch(() => undefined);
        // After the move: the watchdog then lifts the limit before it moves anyone back.
        await made.setMemoryLimit(cgroupLimitMB, event.onLimit);
        oomBaseline = await made.oomKills();
        stallBaseline = await made.stallCount();
        await writeFile(`/proc/${started.pid}/oom_score_adj`, String(HOG_OOM_SCORE_ADJ)).catch(() => undefined);
        await made.moveIn(started.pid);
        monitor = setInterval(() => void checkOom().then(checkStall), POLL_MS);
        go += ' ' + JSON.stringify({ cgroup: { usageFile: made.memoryUsageFile, limitMB: cgroupLimitMB, leaveTo: join(made.originalDir, 'cgroup.procs') } });
      }
      if (undone) return;
      // In effect from here: the hog grows.
      started.send(go);
    },
    async undo() {
      if (undone) return;
      undone = true;
      stopping = true;
      if (monitor) clearInterval(monitor);
      // A kill or stall seen just before the undo still counts.
      if (group) await checkOom().then(checkStall);
      await hog?.stop();
      if (group) {
        outcome.cgroupPeakMB = (await group.memoryUsageMB()).peakMB;
        await group.remove();
      }
    },
  };
}
