// Control groups for the resource injectors: find where a process sits, make
// a child group beside it with a CPU quota or a memory limit, move processes
// in, and take it all back. Every change is guarded with the chaos watchdog
// before it takes effect, so a harness killed by SIGKILL still leaves the
// cgroup tree as it found it.
//
// cgroup v1: one hierarchy per controller (/sys/fs/cgroup/cpu, .../memory);
// /proc/PID/cgroup names the group per controller ("4:memory:/a/b"). A child
// group is made under the process's own group; v1 lets a group hold both
// processes and child groups.
// cgroup v2: one hierarchy ("0::/a/b"); a controller is usable in a group
// only if the parent enabled it in cgroup.subtree_control, and a non-root
// group that holds processes cannot enable controllers for its children
// ("no internal processes"). So the child goes under the process's group when
// that group has, or can enable, the controller; otherwise it goes beside it,
// under the parent, which has the controller enabled (that is why the process's
// group lists it in cgroup.controllers at all).
// Hybrid machines (v1 controllers plus an empty v2 tree) use v1 for the
// controllers v1 holds.
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AftershockError } from '../scenarios/errors.ts';
import type { ChaosWatchdog } from './watchdog/chaos-watchdog.ts';

export type CgroupController = 'cpu' | 'memory';
export type CgroupVersion = 'v1' | 'v2';

/** Groups this module makes start with this; a process already in one is in another event's fault. */
export const CGROUP_PREFIX = 'aftershock-';

/** The file whose presence says a group offers a controller's limit. */
const limitFile: Record<CgroupVersion, Record<CgroupController, string>> = {
  v1: { cpu: 'cpu.cfs_quota_us', memory: 'memory.limit_in_bytes' },
  v2: { cpu: 'cpu.max', memory: 'memory.max' },
};

/** Where a process sits for one controller, and where a child group for it can go. */
export interface CgroupPlace {
  version: CgroupVersion;
  controller: CgroupController;
  /** The process's group now: where its processes go back to. */
  groupDir: string;
  /** The directory the child group is made in (the group itself, or on v2 maybe its parent). */
  parentDir: string;
  /** v2: the controller is not yet enabled in `parentDir`'s cgroup.subtree_control; try to enable it. */
  enable: boolean;
  /** v2: where the child goes if enabling fails because the group holds processes (its parent), if that is in reach. */
  fallbackDir?: string;
}

export type CgroupProbe = { usable: true; place: CgroupPlace } | { usable: false; controller: CgroupController; pid: number; looked: string[] };

export interface CgroupHost {
  /** Where /proc is; tests point it at a made-up tree. */
  procDir?: string;
}

interface Mount {
  root: string;
  point: string;
  fsType: string;
  superOptions: string[];
}

function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 5) continue;
    // Mount paths escape spaces and the like as octal (\040).
    const unescape = (path: string): string => path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    mounts.push({
      root: unescape(fields[3]),
      point: unescape(fields[4]),
      fsType: fields[separator + 1],
      superOptions: (fields[separator + 3] ?? '').split(','),
    });
  }
  return mounts;
}

/** The directory of group `path` (as /proc/PID/cgroup names it) under `mount`, or undefined if the mount does not show it. */
function groupDirUnder(mount: Mount, path: string): string | undefined {
  const rel = relative(mount.root, path);
  if (rel.startsWith('..')) return undefined;
  return join(mount.point, rel);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readTextSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds where process `pid` sits for `controller` and whether a child group
 * with that controller can be made there. Reads only, changes nothing, and is
 * synchronous so that an injector can refuse when it is made, before its
 * fault's time comes.
 */
export function probeCgroup(controller: CgroupController, pid: number, host: CgroupHost = {}): CgroupProbe {
  const procDir = host.procDir ?? '/proc';
  const looked: string[] = [];
  const unusable = (): CgroupProbe => ({ usable: false, controller, pid, looked });
  const membership = readTextSync(join(procDir, String(pid), 'cgroup'));
  const mountinfo = readTextSync(join(procDir, 'self', 'mountinfo'));
  if (membership === undefined || mountinfo === undefined) {
    looked.push(`${join(procDir, String(pid), 'cgroup')} and ${join(procDir, 'self', 'mountinfo')}: not readable (no /proc, or the process is gone)`);
    return unusable();
  }
  const mounts = parseMountinfo(mountinfo);
  const lines = membership
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, controllers, ...path] = line.split(':');
      return { id, controllers: controllers.split(','), path: path.join(':') };
    });

  // v1: a hierarchy that holds the controller.
  const v1Line = lines.find((line) => line.id !== '0' && line.controllers.includes(controller));
  const v1Mount = mounts.find((mount) => mount.fsType === 'cgroup' && mount.superOptions.includes(controller));
  if (v1Line && v1Mount) {
    const groupDir = groupDirUnder(v1Mount, v1Line.path);
    const file = limitFile.v1[controller];
    if (!groupDir) looked.push(`cgroup v1 ${controller}: group ${v1Line.path} is outside what ${v1Mount.point} shows (mounted from ${v1Mount.root})`);
    else if (readTextSync(join(groupDir, file)) === undefined) looked.push(`cgroup v1 ${controller}: no ${join(groupDir, file)}`);
    else if (!writable(groupDir)) looked.push(`cgroup v1 ${controller}: ${groupDir} is not writable by this user`);
    else return { usable: true, place: { version: 'v1', controller, groupDir, parentDir: groupDir, enable: false } };
  } else {
    looked.push(
      v1Mount
        ? `cgroup v1: ${controller} is mounted at ${v1Mount.point}, but /proc/${pid}/cgroup names no ${controller} group`
        : `cgroup v1: no hierarchy with the ${controller} controller is mounted`,
    );
  }

  // v2: the unified hierarchy, if the controller is delegated to the process's group.
  const v2Line = lines.find((line) => line.id === '0' && line.controllers.join('') === '');
  const v2Mount = mounts.find((mount) => mount.fsType === 'cgroup2');
  if (!v2Line || !v2Mount) {
    looked.push(`cgroup v2: ${v2Mount ? `pid ${pid} is in no v2 group` : 'no cgroup2 file system is mounted'}`);
    return unusable();
  }
  const groupDir = groupDirUnder(v2Mount, v2Line.path);
  if (!groupDir) {
    looked.push(`cgroup v2: group ${v2Line.path} is outside what ${v2Mount.point} shows`);
    return unusable();
  }
  const available = (readTextSync(join(groupDir, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean);
  if (!available.includes(controller)) {
    looked.push(
      `cgroup v2: ${controller} is not in ${join(groupDir, 'cgroup.controllers')} (it lists: ${available.join(' ') || 'nothing'}); the parent group does not delegate it`,
    );
    return unusable();
  }
  if (!writable(groupDir)) {
    looked.push(`cgroup v2: ${groupDir} is not writable by this user`);
    return unusable();
  }
  const enabled = (readTextSync(join(groupDir, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/);
  const parent = dirname(groupDir);
  // The parent is in reach when it is still inside the mount (not above a namespace root) and writable.
  const fallbackDir = groupDir !== v2Mount.point && writable(parent) ? parent : undefined;
  return {
    usable: true,
    place: { version: 'v2', controller, groupDir, parentDir: groupDir, enable: !enabled.includes(controller), ...(fallbackDir ? { fallbackDir } : {}) },
  };
}

/** The error an injector throws, before it starts anything, when the kernel offers no usable cgroup. */
export function cgroupUnsupportedError(kind: string, probe: Extract<CgroupProbe, { usable: false }> | { controller: CgroupController; pid: number; looked: string[] }): AftershockError {
  const { controller, pid, looked } = probe;
  return new AftershockError(
    'chaos-unsupported',
    `chaos "${kind}" needs a cgroup with the ${controller} controller for the backend (pid ${pid}), and found none usable. ` +
      `Looked for: ${looked.join('; ')}. ` +
      `To run it: on cgroup v1, mount the ${controller} controller and run the harness as a user who may write there (e.g. root); ` +
      `on cgroup v2, run the harness in a group with ${controller} delegated (e.g. "systemd-run --scope -p Delegate=yes ..." or as root); ` +
      `or drop this event from the scenario.`,
    { details: looked },
  );
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

let groupsMade = 0;

/** What the kernel does when a memory-limited group is full. */
export type MemoryLimitMode = 'oom-kill' | 'stall';

interface Guarded {
  release: () => void;
}

/**
 * A child group this harness made for one fault, named
 * `aftershock-<harness pid>-<kind>-<n>`. `remove` lifts its limits, puts
 * every process in it back where they came from and deletes it; until then
 * the watchdog holds the same undo, guarded so that it performs the steps in
 * that order too (it performs the newest first).
 */
export class ChildCgroup {
  readonly version: CgroupVersion;
  readonly controller: CgroupController;
  /** The group's directory. */
  readonly dir: string;
  /** Where its processes go back to. */
  readonly originalDir: string;
  private readonly watchdog: ChaosWatchdog;
  private enabled: (Guarded & { subtree: string }) | undefined;
  private madeDir: Guarded | undefined;
  private moved: Guarded | undefined;
  /** Limits to lift before the processes move back (a stalled process waits for memory until then). */
  private readonly lifts = new Map<string, Guarded & { content: string }>();
  private removed = false;

  private constructor(place: CgroupPlace, dir: string, watchdog: ChaosWatchdog) {
    this.version = place.version;
    this.controller = place.controller;
    this.dir = dir;
    this.originalDir = place.groupDir;
    this.watchdog = watchdog;
  }

  /**
   * Makes the group for fault `purpose.kind` on process `purpose.pid`. On
   * failure it leaves nothing behind and rejects with an AftershockError
   * 'chaos-unsupported' that says what the kernel refused.
   */
  static async create(place: CgroupPlace, watchdog: ChaosWatchdog, purpose: { kind: string; pid: number }): Promise<ChildCgroup> {
    const name = `${CGROUP_PREFIX}${process.pid}-${purpose.kind}-${++groupsMade}`;
    const looked: string[] = [];
    const refuse = (): AftershockError => cgroupUnsupportedError(purpose.kind, { controller: place.controller, pid: purpose.pid, looked });
    let parentDir = place.parentDir;
    let enabled: (Guarded & { subtree: string }) | undefined;
    if (place.version === 'v2' && place.enable) {
      const subtree = join(parentDir, 'cgroup.subtree_control');
      // Guard first: if the harness dies right after the write, the watchdog disables it again.
      const release = watchdog.guard({ kind: 'write-file', path: subtree, content: `-${place.controller}` });
      try {
        await writeFile(subtree, `+${place.controller}`);
        enabled = { subtree, release };
      } catch (error) {
        release();
        const why =
          errorCode(error) === 'EBUSY'
            ? `it holds processes, and cgroup v2 lets a non-root group enable controllers for children only when it holds none`
            : (error as Error).message;
        looked.push(`cgroup v2: could not enable ${place.controller} in ${subtree}: ${why}`);
        if (!place.fallbackDir) {
          looked.push(`cgroup v2: the parent of ${place.groupDir} is not in reach (above the mount or namespace root, or not writable)`);
          throw refuse();
        }
        parentDir = place.fallbackDir;
      }
    }
    const dir = join(parentDir, name);
    const releaseRmdir = watchdog.guard({ kind: 'rmdir', path: dir });
    try {
      await mkdir(dir);
    } catch (error) {
      releaseRmdir();
      if (enabled) await disable(enabled, place.controller);
      looked.push(`could not make ${dir}: ${(error as Error).message}`);
      throw refuse();
    }
    const group = new ChildCgroup(place, dir, watchdog);
    group.enabled = enabled;
    group.madeDir = { release: releaseRmdir };
    return group;
  }

  /** Limits the group to `cpus` cores (0.5: half of one core), by CFS bandwidth control. */
  async setCpuQuota(cpus: number): Promise<void> {
    const periodUs = 100_000;
    // The kernel's least quota is 1 ms per period.
    const quotaUs = Math.max(1000, Math.round(cpus * periodUs));
    if (this.version === 'v1') {
      await this.write('cpu.cfs_period_us', String(periodUs));
      await this.write('cpu.cfs_quota_us', String(quotaUs));
    } else {
      await this.write('cpu.max', `${quotaUs} ${periodUs}`);
    }
  }

  /**
   * Limits the memory of the group to `limitMB`. Past it the kernel reclaims,
   * then: 'oom-kill', the OOM killer ends a process in the group; 'stall',
   * the processes wait for memory. v1 stalls with the group's OOM killer off
   * (memory.oom_control); v2 has no such switch, so it sets memory.high
   * instead of memory.max: the kernel throttles every allocation past it.
   */
  async setMemoryLimit(limitMB: number, mode: MemoryLimitMode = 'oom-kill'): Promise<void> {
    const bytes = String(Math.floor(limitMB * 1024 * 1024));
    if (this.version === 'v1') {
      await this.limit('memory.limit_in_bytes', bytes, '-1');
      // Left on when the group is removed: by then the limit is lifted, and turning the
      // OOM killer back on while processes wait would kill one of them.
      if (mode === 'stall') await this.write('memory.oom_control', '1');
    } else {
      await this.limit(mode === 'stall' ? 'memory.high' : 'memory.max', bytes, 'max');
    }
  }

  /** The file that holds the memory charged to the group now, in bytes. */
  get memoryUsageFile(): string {
    return join(this.dir, this.version === 'v1' ? 'memory.usage_in_bytes' : 'memory.current');
  }

  /** Moves process `pid` (all its threads) into the group. */
  async moveIn(pid: number): Promise<void> {
    if (this.removed) throw new Error(`cgroup ${this.dir} was removed`);
    if (!this.moved) {
      this.moved = { release: this.watchdog.guard({ kind: 'move-procs', from: join(this.dir, 'cgroup.procs'), to: join(this.originalDir, 'cgroup.procs') }) };
      // The watchdog performs the newest guard first: limits set before must still be lifted before the move.
      for (const [file, lift] of this.lifts) {
        lift.release();
        lift.release = this.watchdog.guard({ kind: 'write-file', path: join(this.dir, file), content: lift.content });
      }
    }
    await this.write('cgroup.procs', String(pid));
  }

  /** The PIDs in the group now. */
  async procs(): Promise<number[]> {
    return ((await readText(join(this.dir, 'cgroup.procs'))) ?? '').split('\n').filter(Boolean).map(Number);
  }

  /** OOM kills in the group so far (v1 memory.oom_control, v2 memory.events), or undefined where the kernel does not count them. */
  async oomKills(): Promise<number | undefined> {
    return this.memoryCounter(this.version === 'v1' ? 'memory.oom_control' : 'memory.events', 'oom_kill');
  }

  /**
   * Whether processes in the group wait for memory: v1, memory.oom_control
   * under_oom (1 while they do); v2, how often allocations were throttled
   * at memory.high so far (memory.events high).
   */
  async stallCount(): Promise<number | undefined> {
    return this.version === 'v1' ? this.memoryCounter('memory.oom_control', 'under_oom') : this.memoryCounter('memory.events', 'high');
  }

  /** Memory charged to the group now and at most so far, in MB (v2 `peak` needs Linux 5.19). */
  async memoryUsageMB(): Promise<{ currentMB?: number; peakMB?: number }> {
    const peak = this.version === 'v1' ? 'memory.max_usage_in_bytes' : 'memory.peak';
    const toMB = (text: string | undefined): number | undefined => (text === undefined ? undefined : Math.round(Number(text.trim()) / 1024 / 1024));
    return { currentMB: toMB(await readText(this.memoryUsageFile)), peakMB: toMB(await readText(join(this.dir, peak))) };
  }

  /**
   * Lifts the limits, moves every process back, deletes the group, disables
   * what was enabled for it. Idempotent. A step that fails keeps its watchdog
   * guard (the watchdog tries again when the run ends) and the rest still
   * run; the first failure is thrown at the end.
   */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    const failures: unknown[] = [];
    const step = async (guarded: Guarded | undefined, undo: () => Promise<void>): Promise<void> => {
      if (!guarded) return;
      try {
        await undo();
        guarded.release();
      } catch (error) {
        failures.push(error);
      }
    };
    for (const [file, lift] of this.lifts) await step(lift, () => writeFile(join(this.dir, file), lift.content));
    await step(this.moved, () => this.moveAllBack());
    await step(this.madeDir, () => removeDir(this.dir));
    if (this.enabled) await disable(this.enabled, this.controller);
    if (failures.length > 0) throw failures[0];
  }

  private async memoryCounter(file: string, key: string): Promise<number | undefined> {
    const match = (await readText(join(this.dir, file)))?.match(new RegExp(`^${key} (\\d+)$`, 'm'));
    return match ? Number(match[1]) : undefined;
  }

  /** Sets a limit, guarded by the write that lifts it. */
  private async limit(file: string, content: string, unlimited: string): Promise<void> {
    if (!this.lifts.has(file)) {
      this.lifts.set(file, { content: unlimited, release: this.watchdog.guard({ kind: 'write-file', path: join(this.dir, file), content: unlimited }) });
    }
    await this.write(file, content);
  }

  private async moveAllBack(): Promise<void> {
    for (const pid of await this.procs()) {
      // ESRCH: it exited meanwhile, nothing to move.
      await writeFile(join(this.originalDir, 'cgroup.procs'), String(pid)).catch((error: unknown) => {
        if (errorCode(error) !== 'ESRCH') throw error;
      });
    }
  }

  private async write(file: string, content: string): Promise<void> {
    try {
      await writeFile(join(this.dir, file), content);
    } catch (error) {
      throw new AftershockError('chaos-unsupported', `could not write "${content}" to ${join(this.dir, file)}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Turns a controller back off for children, as it was before we turned it on; keeps the guard if that fails. */
async function disable(enabled: Guarded & { subtree: string }, controller: CgroupController): Promise<void> {
  try {
    await writeFile(enabled.subtree, `-${controller}`);
    enabled.release();
  } catch {
    // Another group of ours may still use it; the watchdog tries again at the end of the run.
  }
}

/** rmdir a cgroup, waiting up to 2 s while processes that were just killed leave it (EBUSY). */
async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      if (errorCode(error) !== 'EBUSY' || attempt >= 40) throw new Error(`could not remove cgroup ${dir}: ${(error as Error).message}`);
      await sleep(50);
    }
  }
}

/** True when `dir` is a group this module made (so a process in it is in some event's fault). */
export function isAftershockGroup(dir: string): boolean {
  return basename(dir).startsWith(CGROUP_PREFIX);
}
