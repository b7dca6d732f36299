import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { cpuBurnInjector, type CpuBurnInjector } from '../../chaos/cpu-burn-injector.ts';
import { OWN_DEADLINE_MARGIN_MS } from '../../chaos/hogs/chaos-process.ts';
import { allowedCpuCount } from '../../chaos/proc-info.ts';
import { isAlive, lockCpuMeasurement, measureCpuShare, measureIterations, startTestChaos, startVictim, waitFor, type TestChaos, type Victim } from './chaos-fixtures.ts';

describe('cpu-burn: burner processes compete for the backend’s cores', () => {
  let chaos: TestChaos;
  let victim: Victim | undefined;
  let injector: CpuBurnInjector | undefined;
  beforeAll(async () => {
    chaos = await startTestChaos('cpu-burn');
  });
  afterEach(async () => {
    await injector?.undo();
    await victim?.process.stop();
    injector = victim = undefined;
  });
  afterAll(async () => {
    await chaos.close();
  });

  test('burners cut the victim’s throughput; after undo they are gone and it recovers', async () => {
    const unlock = await lockCpuMeasurement();
    onTestFinished(unlock);
    victim = await startVictim(chaos.dir, 'spin');
    await sleep(500);
    // The victim's CPU share decides (its loop counts shift with the JIT's
    // tiers as it warms up, so they are only shown).
    const measure = async (): Promise<{ share: number; iterations: number }> => {
      const [share, iterations] = await Promise.all([measureCpuShare(victim!.pid, 1000), measureIterations(victim!, 1000)]);
      return { share, iterations };
    };
    const before = await measure();

    // Three burners per core. The backend and each burner run in sessions of
    // their own, so each is its own scheduler group where the kernel has
    // autogroups: with G busy groups on the machine besides the burners,
    // the victim goes from 2/G cores to 2/(G+6), a third or less on an idle
    // machine and still about half with 6 other busy groups.
    // Short: the burners end by themselves 3 s after they start at the latest.
    injector = cpuBurnInjector({ kind: 'cpu-burn', at: 0, for: 2000, burners: 6 }, chaos.context(victim));
    await injector.inject();
    const pids = injector.burners.map((burner) => burner.pid);
    expect(pids).toHaveLength(6);
    expect(pids.every((pid) => isAlive(pid))).toBe(true);
    expect(chaos.watchdog.guarded.filter((action) => action.kind === 'signal' && pids.includes(action.pid))).toHaveLength(6);
    const [during, burnerShare] = await Promise.all([measure(), measureCpuShare(pids[0], 1000)]);

    await injector.undo();
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    expect(chaos.watchdog.guarded).toEqual([]);
    const after = await measure();

    const show = (m: { share: number; iterations: number }): string => `${m.share.toFixed(2)} of a core (${Math.round(m.iterations)} iterations per 100 ms)`;
    console.log(`cpu-burn: victim before ${show(before)}, with 6 burners ${show(during)}, after undo ${show(after)}; one burner used ${burnerShare.toFixed(2)} of a core`);
    // Other work on the machine can come and go between the windows, hence
    // wide tolerances, against the mean of the windows before and after: at
    // least a quarter off while burning, and after undo at least 15% above
    // what it had while burning.
    expect(during.share).toBeLessThan(0.75 * ((before.share + after.share) / 2));
    expect(after.share).toBeGreaterThan(1.15 * during.share);
    expect(burnerShare).toBeGreaterThan(0.05);
  });

  test('by default one burner per core the backend may use', async () => {
    victim = await startVictim(chaos.dir, 'idle');
    injector = cpuBurnInjector({ kind: 'cpu-burn', at: 0, for: 1000 }, chaos.context(victim));
    const cores = allowedCpuCount(victim.pid)!;
    expect(injector.describe()).toBe(`${cores} CPU burner process${cores === 1 ? '' : 'es'} compete for the backend's cores for 1s; each ends by itself after 2s real time`);
    // Without a process of its own to look at: one per core of the machine.
    expect(cpuBurnInjector({ kind: 'cpu-burn', at: 0, for: 1000 }, chaos.context(undefined)).describe()).toMatch(new RegExp(`^${availableParallelism()} CPU burner`));
  });

  test('burners end by themselves at the fault’s end plus the margin, without an undo', async () => {
    // 1 s of scenario time at time scale 2: 500 ms real, plus the margin.
    injector = cpuBurnInjector({ kind: 'cpu-burn', at: 0, for: 1000, burners: 2 }, chaos.context(undefined, 2));
    const started = performance.now();
    await injector.inject();
    const pids = injector.burners.map((burner) => burner.pid);
    const lifetimeMs = 500 + OWN_DEADLINE_MARGIN_MS;
    const gone = await waitFor(() => pids.every((pid) => !isAlive(pid)), lifetimeMs + 3000);
    const elapsed = performance.now() - started;
    expect(gone).toBe(true);
    // They did not end early (the deadline counts from each burner's own start, after this one).
    expect(elapsed).toBeGreaterThanOrEqual(lifetimeMs - 50);
    await waitFor(() => chaos.watchdog.guarded.length === 0, 1000);
    expect(chaos.watchdog.guarded).toEqual([]);
    expect(injector.burners.map((burner) => burner.exitStatus)).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });

  test('undo is safe before inject and twice', async () => {
    injector = cpuBurnInjector({ kind: 'cpu-burn', at: 0, for: 1000, burners: 1 }, chaos.context(undefined));
    await injector.undo();
    await injector.undo();
    expect(injector.burners).toEqual([]);
  });
});
