import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { probeCgroup } from '../../chaos/cgroup.ts';
import { OWN_DEADLINE_MARGIN_MS } from '../../chaos/hogs/chaos-process.ts';
import { memoryHogInjector, type MemoryHogInjector } from '../../chaos/memory-hog-injector.ts';
import { readMemAvailableMB, residentMB } from '../../chaos/proc-info.ts';
import { AftershockError } from '../../scenarios/errors.ts';
import { isAlive, startTestChaos, startVictim, waitFor, type TestChaos, type Victim } from './chaos-fixtures.ts';

// Sizes are small on purpose: the machine is shared, and is never taken below 2 GiB available.
describe('memory-hog: a noisy neighbour grows to its bound, never below the free-memory floor', () => {
  let chaos: TestChaos;
  let victim: Victim | undefined;
  let injector: MemoryHogInjector | undefined;
  beforeAll(async () => {
    chaos = await startTestChaos('memory-hog');
  });
  afterEach(async () => {
    await injector?.undo();
    await victim?.process.stop();
    injector = victim = undefined;
    chaos.notes.length = 0;
  });
  afterAll(async () => {
    await chaos.close();
  });

  test('grows at its rate to its bound and holds it; undo frees it', async () => {
    injector = memoryHogInjector({ kind: 'memory-hog', at: 0, for: 60_000, rateMBps: 512, limitMB: 256, floorMB: 2048, onLimit: 'oom-kill' }, chaos.context(undefined));
    const started = performance.now();
    await injector.inject();
    const hog = injector.hog!;
    expect(await waitFor(() => injector!.outcome.stoppedBy !== undefined, 10_000)).toBe(true);
    const growMs = performance.now() - started;
    const rss = residentMB(hog.pid)!;

    expect(injector.outcome).toMatchObject({ stoppedBy: 'limit', allocatedMB: 256, floorMB: 2048, limitMB: 256, oomKilled: [] });
    // Really resident: every page was written (Node itself adds some 40 MB).
    expect(rss).toBeGreaterThanOrEqual(256);
    // Paced: 256 MB at 512 MB/s takes at least half a second (an upper bound would only measure the machine).
    expect(growMs).toBeGreaterThanOrEqual(450);
    expect(injector.describe()).toMatch(/; reached its bound of 256 MB \(\d+ MB available\)$/);
    expect(chaos.notes).toEqual([expect.stringMatching(/^memory hog reached its bound, holding 256 of 256 MB; \d+ MB still available$/)]);
    console.log(`memory-hog: reached 256 MB in ${Math.round(growMs)} ms at 512 MB/s; hog RSS ${Math.round(rss)} MB`);
    expect(chaos.watchdog.guarded).toEqual([{ kind: 'signal', pid: hog.pid, signal: 'SIGKILL', startTime: hog.startTime }]);

    await injector.undo();
    expect(isAlive(hog.pid, hog.startTime)).toBe(false);
    expect(chaos.watchdog.guarded).toEqual([]);
  });

  test('stops early at the free-memory floor and says so', async () => {
    // A floor 300 MB below what is available now: reached after about 300 MB,
    // far above 2 GiB on this machine.
    const availableMB = readMemAvailableMB()!;
    const floorMB = availableMB - 300;
    expect(floorMB, 'this test needs 2348 MB available').toBeGreaterThanOrEqual(2048);
    // Fast, so that others on the machine have little time to move MemAvailable meanwhile.
    injector = memoryHogInjector({ kind: 'memory-hog', at: 0, for: 60_000, rateMBps: 2048, limitMB: 1024, floorMB, onLimit: 'oom-kill' }, chaos.context(undefined));
    await injector.inject();
    expect(await waitFor(() => injector!.outcome.stoppedBy !== undefined, 10_000)).toBe(true);
    const { outcome } = injector;
    console.log(`memory-hog: floor ${floorMB} MB (available was ${availableMB} MB): stopped by ${outcome.stoppedBy} at ${outcome.allocatedMB} MB with ${outcome.availableMB} MB available`);

    expect(outcome.stoppedBy).toBe('floor');
    // About 300 MB on a quiet machine; on a shared one others take and give
    // back memory meanwhile (up to 1.2 GB more has been seen over a slower
    // growth), so only: it grew, and stopped before its bound.
    expect(outcome.allocatedMB).toBeGreaterThan(100);
    expect(outcome.allocatedMB).toBeLessThan(1024);
    // It stopped at the floor, not below: one 16 MB step of slack for others' allocations meanwhile.
    expect(outcome.availableMB!).toBeGreaterThanOrEqual(floorMB - 16);
    // And at it, not well before it.
    expect(outcome.availableMB!).toBeLessThanOrEqual(floorMB + 64);
    expect(injector.describe()).toContain(`; stopped early at the free-memory floor: ${outcome.availableMB} MB available (floor ${floorMB} MB), holding ${outcome.allocatedMB} of 1024 MB`);
    expect(chaos.notes[0]).toMatch(/^memory hog stopped early at the free-memory floor/);

    const hog = injector.hog!;
    await injector.undo();
    expect(isAlive(hog.pid, hog.startTime)).toBe(false);
  });

  test('a floor below 2 GiB is raised to 2 GiB', () => {
    injector = memoryHogInjector({ kind: 'memory-hog', at: 0, for: 1000, rateMBps: 1, limitMB: 1, floorMB: 100, onLimit: 'oom-kill' }, chaos.context(undefined));
    expect(injector.outcome.floorMB).toBe(2048);
    expect(injector.describe()).toBe('memory hog: grow 1 MB/s up to 1 MB, never below 2048 MB available, for 1s');
  });

  test('ends by itself at its deadline, without an undo', async () => {
    // 500 ms of scenario time at scale 1, plus the margin: it grows slowly and cannot reach its bound in time.
    injector = memoryHogInjector({ kind: 'memory-hog', at: 0, for: 500, rateMBps: 32, limitMB: 1024, floorMB: 2048, onLimit: 'oom-kill' }, chaos.context(undefined));
    const started = performance.now();
    await injector.inject();
    const hog = injector.hog!;
    const exit = await hog.exited;
    const lifetimeMs = 500 + OWN_DEADLINE_MARGIN_MS;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(performance.now() - started).toBeGreaterThanOrEqual(lifetimeMs - 50);
    expect(injector.outcome.stoppedBy).toBe('deadline');
    expect(injector.outcome.allocatedMB).toBeLessThanOrEqual(64);
    expect(chaos.watchdog.guarded).toEqual([]);
  });

  // With a shared memory cgroup, which needs one this user may make.
  const probe = probeCgroup('memory', process.pid);
  const noCgroup = probe.usable ? '' : ` (skipped: no usable memory cgroup on this machine: ${probe.looked.join('; ')})`;

  test.skipIf(!probe.usable)(`with cgroupLimitMB, a backend that allocates past the limit is OOM-killed, and that is reported${noCgroup}`, async () => {
    victim = await startVictim(chaos.dir, 'idle');
    injector = memoryHogInjector(
      { kind: 'memory-hog', at: 0, for: 60_000, rateMBps: 512, limitMB: 64, floorMB: 2048, cgroupLimitMB: 192, onLimit: 'oom-kill' },
      chaos.context(victim),
    );
    await injector.inject();
    const group = injector.cgroup!;
    const hog = injector.hog!;
    expect((await group.procs()).sort()).toEqual([victim.pid, hog.pid].sort());
    expect(await waitFor(() => injector!.outcome.stoppedBy === 'limit', 10_000)).toBe(true);

    // The backend now needs more than the 128 MB the hog leaves it.
    process.kill(victim.pid, 'SIGUSR1');
    expect(await waitFor(() => !victim!.process.running, 15_000)).toBe(true);
    expect(await waitFor(() => injector!.outcome.oomKilled.length > 0, 2000)).toBe(true);
    const { outcome } = injector;
    console.log(
      `memory-hog in a ${group.version} cgroup of 192 MB: oom kills ${outcome.cgroupOomKills}, killed ${JSON.stringify(outcome.oomKilled)}; backend had reached ${victim.lines().filter((l) => l.allocatedMB).at(-1)?.allocatedMB} MB`,
    );
    expect(outcome.oomKilled).toEqual([{ who: 'backend', pid: victim.pid, afterMs: expect.any(Number) }]);
    expect(outcome.cgroupOomKills).toBe(1);
    expect(hog.running).toBe(true);
    expect(injector.describe()).toMatch(new RegExp(`; the OOM killer killed the backend \\(pid ${victim.pid}\\) after [\\d.]+m?s$`));
    expect(chaos.notes).toContain(`the OOM killer killed the backend (pid ${victim.pid}) in the 192 MB memory cgroup`);

    await injector.undo();
    expect(existsSync(group.dir)).toBe(false);
    expect(isAlive(hog.pid, hog.startTime)).toBe(false);
    expect(injector.outcome.cgroupPeakMB).toBeGreaterThanOrEqual(160);
    expect(chaos.watchdog.guarded).toEqual([]);
  });

  test.skipIf(!probe.usable)(`with cgroupLimitMB, backend and hog are moved back and the group removed on undo${noCgroup}`, async () => {
    victim = await startVictim(chaos.dir, 'idle');
    const membership = (): string => readFileSync(`/proc/${victim!.pid}/cgroup`, 'utf8');
    const original = membership();
    injector = memoryHogInjector({ kind: 'memory-hog', at: 0, for: 60_000, rateMBps: 256, limitMB: 32, floorMB: 2048, cgroupLimitMB: 256, onLimit: 'oom-kill' }, chaos.context(victim));
    await injector.inject();
    expect(membership()).not.toBe(original);
    // Performed newest first if the harness dies: lift the limit, move both back, remove the group, then kill the hog.
    expect(chaos.watchdog.guarded.map((action) => action.kind)).toEqual(['signal', 'rmdir', 'move-procs', 'write-file']);
    await injector.undo();
    expect(membership()).toBe(original);
    expect(existsSync(injector.cgroup!.dir)).toBe(false);
    expect(victim.process.running).toBe(true);
    expect(chaos.watchdog.guarded).toEqual([]);
  });

  test.skipIf(!probe.usable)(`with onLimit 'stall', the hog fills the cgroup and the backend waits for memory; undo lets it go on${noCgroup}`, async () => {
    victim = await startVictim(chaos.dir, 'idle', 60_000, 256);
    injector = memoryHogInjector(
      { kind: 'memory-hog', at: 0, for: 60_000, rateMBps: 512, limitMB: 1024, floorMB: 2048, cgroupLimitMB: 192, onLimit: 'stall' },
      chaos.context(victim),
    );
    await injector.inject();
    const hog = injector.hog!;
    expect(await waitFor(() => injector!.outcome.stoppedBy !== undefined, 10_000)).toBe(true);
    // It filled the group but for a margin of one 16 MB step, and stopped by itself.
    expect(injector.outcome.stoppedBy).toBe('cgroup');
    expect(injector.outcome.allocatedMB).toBeGreaterThan(100);
    expect(injector.outcome.allocatedMB).toBeLessThanOrEqual(192 - 16);

    process.kill(victim.pid, 'SIGUSR1');
    expect(await waitFor(() => injector!.outcome.stalledAfterMs !== undefined, 10_000)).toBe(true);
    const reached = (): number => Math.max(0, ...victim!.lines().map((line) => (line.allocatedMB as number | undefined) ?? 0));
    const stuckAt = reached();
    await sleep(1000);
    // Waiting, not killed, and not getting anywhere.
    expect(reached()).toBe(stuckAt);
    expect(stuckAt).toBeLessThan(256);
    expect(victim.process.running).toBe(true);
    expect(injector.outcome.oomKilled).toEqual([]);
    expect(chaos.notes).toContain(
      injector.cgroup!.version === 'v1'
        ? 'the 192 MB memory cgroup is full and its OOM killer is off: the backend waits for memory'
        : "the 192 MB memory cgroup is over memory.high: the kernel throttles the backend's allocations",
    );
    // The hog is not stuck with it: it still answers and keeps its deadline.
    expect(hog.running).toBe(true);

    await injector.undo();
    expect(isAlive(hog.pid, hog.startTime)).toBe(false);
    // The backend goes on once the hog is gone and the limit lifted.
    expect(await waitFor(() => reached() >= 256, 10_000)).toBe(true);
    expect(victim.process.running).toBe(true);
    console.log(`memory-hog stall (${injector.cgroup!.version}): hog filled ${injector.outcome.allocatedMB} of 192 MB; backend stalled at ${stuckAt} MB after ${injector.outcome.stalledAfterMs} ms, reached 256 MB after undo`);
    expect(chaos.watchdog.guarded).toEqual([]);
  });

  test('with cgroupLimitMB, refuses a target whose process the harness does not own', () => {
    let error: unknown;
    try {
      memoryHogInjector({ kind: 'memory-hog', at: 0, for: 1000, rateMBps: 1, limitMB: 1, floorMB: 2048, cgroupLimitMB: 64, onLimit: 'oom-kill' }, chaos.context(undefined));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AftershockError);
    expect((error as AftershockError).code).toBe('chaos-unsupported');
  });
});
