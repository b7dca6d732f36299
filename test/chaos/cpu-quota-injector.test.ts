import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { probeCgroup } from '../../chaos/cgroup.ts';
import { cpuQuotaInjector, type CpuQuotaInjector } from '../../chaos/cpu-quota-injector.ts';
import { AftershockError } from '../../scenarios/errors.ts';
import { lockCpuMeasurement, measureCpuShare, startTestChaos, startVictim, type TestChaos, type Victim } from './chaos-fixtures.ts';

// The quota needs a cgroup with the cpu controller that this user may change.
const probe = probeCgroup('cpu', process.pid);
const noCgroup = probe.usable ? undefined : ` (skipped: no usable cpu cgroup on this machine: ${probe.looked.join('; ')})`;

/** The line of /proc/PID/cgroup for the cpu controller (v1) or the unified one (v2). */
function cpuCgroupLine(pid: number): string | undefined {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((line) => (probe.usable && probe.place.version === 'v2' ? line.startsWith('0::') : line.split(':')[1]?.split(',').includes('cpu')));
}

describe('cpu-quota: the backend in a cgroup with a CPU quota', () => {
  let chaos: TestChaos;
  let victim: Victim | undefined;
  let injector: CpuQuotaInjector | undefined;
  beforeAll(async () => {
    chaos = await startTestChaos('cpu-quota');
  });
  afterEach(async () => {
    await injector?.undo();
    await victim?.process.stop();
    injector = victim = undefined;
  });
  afterAll(async () => {
    await chaos.close();
  });

  test.skipIf(noCgroup)(`a quota of 0.1 CPUs caps the victim; undo restores it and removes the cgroup${noCgroup ?? ''}`, async () => {
    const unlock = await lockCpuMeasurement();
    onTestFinished(unlock);
    victim = await startVictim(chaos.dir, 'spin');
    const originalLine = cpuCgroupLine(victim.pid);
    await sleep(300);
    const before = await measureCpuShare(victim.pid, 1000);

    // 0.1: well under what a busy process gets even on a loaded machine, so the cap shows.
    injector = cpuQuotaInjector({ kind: 'cpu-quota', at: 0, for: 30_000, cpus: 0.1 }, chaos.context(victim));
    await injector.inject();
    const group = injector.cgroup!;
    expect(existsSync(group.dir)).toBe(true);
    expect(await group.procs()).toContain(victim.pid);
    expect(cpuCgroupLine(victim.pid)).not.toBe(originalLine);
    expect(chaos.watchdog.guarded.map((action) => action.kind).sort()).toEqual(['move-procs', 'rmdir']);
    // The quota works per 100 ms period: let one pass before measuring.
    await sleep(200);
    const during = await measureCpuShare(victim.pid, 1000);
    // The kernel throttled the group: the quota, not chance, held it back.
    const throttled = Number(readFileSync(join(group.dir, 'cpu.stat'), 'utf8').match(/^nr_throttled (\d+)$/m)?.[1]);
    expect(throttled).toBeGreaterThan(0);

    await injector.undo();
    expect(existsSync(group.dir)).toBe(false);
    expect(cpuCgroupLine(victim.pid)).toBe(originalLine);
    expect(chaos.watchdog.guarded).toEqual([]);
    const after = await measureCpuShare(victim.pid, 1000);

    console.log(
      `cpu-quota (${group.version}, ${group.dir}): victim CPU share of one core: before ${before.toFixed(2)}, quota 0.1 ${during.toFixed(2)} (throttled ${throttled} periods), after undo ${after.toFixed(2)}`,
    );
    // Tolerance: 0.1 of a core plus 0.05 for /proc's 10 ms clock ticks and period edges.
    expect(during).toBeLessThanOrEqual(0.15);
    // Unlimited, the busy victim gets a whole core on an idle machine and
    // less when other work runs; tolerance: at least 1.5 times its quota'd share.
    expect(before).toBeGreaterThan(1.5 * during);
    expect(after).toBeGreaterThan(1.5 * during);
  });

  test.skipIf(noCgroup)(`undo is safe before inject and twice${noCgroup ?? ''}`, async () => {
    victim = await startVictim(chaos.dir, 'idle');
    injector = cpuQuotaInjector({ kind: 'cpu-quota', at: 0, for: 1000, cpus: 1 }, chaos.context(victim));
    await injector.undo();
    await injector.undo();
    expect(injector.cgroup).toBeUndefined();
    expect(injector.describe()).toBe(`limit the backend to 1 CPU by a CPU quota for 1s`);
  });

  test('refuses, before anything starts, where the kernel offers no cpu cgroup', async () => {
    victim = await startVictim(chaos.dir, 'idle');
    // A /proc that shows no cgroup file system: what a machine without cgroups looks like.
    const procDir = join(chaos.dir, 'proc-without-cgroups');
    mkdirSync(join(procDir, String(victim.pid)), { recursive: true });
    mkdirSync(join(procDir, 'self'));
    writeFileSync(join(procDir, String(victim.pid), 'cgroup'), '');
    writeFileSync(join(procDir, 'self', 'mountinfo'), '22 1 0:21 / /proc rw,nosuid - proc proc rw\n');
    let error: unknown;
    try {
      cpuQuotaInjector({ kind: 'cpu-quota', at: 0, for: 1000, cpus: 0.5 }, chaos.context(victim), { procDir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AftershockError);
    expect((error as AftershockError).code).toBe('chaos-unsupported');
    expect((error as AftershockError).message).toBe(
      `chaos "cpu-quota" needs a cgroup with the cpu controller for the backend (pid ${victim.pid}), and found none usable. ` +
        'Looked for: cgroup v1: no hierarchy with the cpu controller is mounted; cgroup v2: no cgroup2 file system is mounted. ' +
        'To run it: on cgroup v1, mount the cpu controller and run the harness as a user who may write there (e.g. root); ' +
        'on cgroup v2, run the harness in a group with cpu delegated (e.g. "systemd-run --scope -p Delegate=yes ..." or as root); ' +
        'or drop this event from the scenario.',
    );
    expect(chaos.watchdog.guarded).toEqual([]);
  });

  test('refuses a target whose process the harness does not own', () => {
    expect(() => cpuQuotaInjector({ kind: 'cpu-quota', at: 0, for: 1000, cpus: 0.5 }, chaos.context(undefined))).toThrow(
      'chaos "cpu-quota" needs a target whose process the harness started; this target has none',
    );
  });
});
