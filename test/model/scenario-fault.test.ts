// Which built-in timelines the planner can predict as one outage, and the
// reason it gives for the others (instead of a prediction that means nothing).
import { describe, expect, test } from 'vitest';
import { builtInScenarios } from '../../scenarios/library/index.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { outageOfChaos, type ChaosEventLike } from '../../simulators/model/scenario-fault.ts';

const outageOf = (name: string): ReturnType<typeof outageOfChaos> => outageOfChaos(validateScenario(builtInScenarios[name], name).chaos as unknown as ChaosEventLike[]);

describe('the planner and a scenario timeline', () => {
  test('one fault, or faults that overlap into one outage, are modelled', () => {
    expect(outageOf('hard-kill')).toMatchObject({ kind: 'hard-kill', atMs: 30_000, outageMs: 120_000 });
    // Nov 4: the CPU lockup, then a forced stop held closed: one outage from the lockup to the opening.
    const nov4 = outageOf('nov4-cpu-lockup');
    expect(nov4).toMatchObject({ kind: 'freeze' });
    expect((nov4 as { note: string }).note).toMatch(/2 chaos events modelled as one outage/);
    // The lockup starts at 30s; the graceful stop at 10m hangs for its 2m grace and is forced: the kill 11m30s in.
    expect(nov4).toMatchObject({ atMs: 30_000, killAfterMs: 11 * 60_000 + 30_000 });
    // A kill as the freeze ends is the freeze's end; a freeze without a kill has none.
    expect(outageOfChaos([{ kind: 'freeze', at: 0, for: 10_000 }, { kind: 'kill', at: 10_000, for: 5_000 }])).toMatchObject({ killAfterMs: 10_000, outageMs: 15_000 });
    expect(outageOf('hard-kill')).not.toHaveProperty('killAfterMs');
  });

  test('a gradual memory fill is not predicted as a freeze from its start', () => {
    expect(outageOf('oct7-memory-exhaustion')).toEqual({ reason: expect.stringMatching(/memory-hog fills memory gradually.*give --fault and --outage/) });
  });

  test('faults with the backend up between them are not one outage', () => {
    expect(outageOf('kill-under-writes')).toEqual({ reason: expect.stringMatching(/^the planner models one outage; this timeline has \d+ faults with the backend up between them/) });
    expect(outageOf('flapping')).toEqual({ reason: expect.stringMatching(/faults with the backend up between them/) });
    // Touching faults (one restarts as the next begins) still are one.
    const touching: ChaosEventLike[] = [
      { kind: 'kill', at: 10_000, for: 20_000 },
      { kind: 'kill', at: 30_000, for: 5_000, holdClosed: 5_000 },
    ];
    expect(outageOfChaos(touching)).toMatchObject({ kind: 'hard-kill', atMs: 10_000, outageMs: 30_000 });
  });
});

describe('the plain plan against a run', () => {
  test('a run that went exactly as planned deviates by 0; one whose devices came back late deviates by them', async () => {
    const { comparePlanToRun } = await import('../../simulators/model/compare-to-run.ts');
    const { runStormModel } = await import('../../simulators/model/storm-model.ts');
    const { unlimitedCapacity } = await import('../../simulators/model/capacity-model.ts');
    const scenario = validateScenario({ ...builtInScenarios['hard-kill'], fleet: { devices: 500, rampUp: '30s' } }, 'hard-kill');
    // "Measured": the plan itself, the fault 40.5 s into the run (every device online by then).
    const fleet = scenario.fleet;
    const planned = runStormModel({
      devices: 500,
      seed: scenario.seed,
      policy: scenario.policy,
      timeouts: { connectMs: fleet.connectTimeout, handshakeMs: fleet.handshakeTimeout, heartbeatMs: fleet.heartbeatTimeout, heartbeatIntervalMs: 30_000 },
      fault: { kind: 'hard-kill', atMs: 0, outageMs: 120_000 },
      capacity: { ...unlimitedCapacity, serviceTimeMs: 50 },
      untilMs: 600_000,
    });
    const faultAtMs = 40_000;
    const series = Array.from({ length: 40 + planned.series.length }, (_, s) => ({ t: s * 1000, online: s < 40 ? 500 : planned.series[s - 40].online, attempts: 0, successes: 0, failures: {}, lost: {} }));
    const summary = { devices: 500, faultAtMs, series } as unknown as Parameters<typeof comparePlanToRun>[1];
    const exact = comparePlanToRun(scenario, summary);
    expect(exact).toMatchObject({ maxDeviationDevices: 0, maxDeviationPct: 0, fromMs: 40_000, assumed: { fault: 'hard-kill', outageMs: 120_000 } });
    // A fault-second cliff that lands one second off is not an error (within a second either way).
    const shifted = series.map((p, s) => (s === 40 ? { ...p, online: 500 } : p));
    expect(comparePlanToRun(scenario, { ...summary, series: shifted } as typeof summary).maxDeviationDevices).toBe(0);
    // 50 devices 30 s late everywhere after the restore: the gap is found, in devices and % of the fleet.
    const late = series.map((p, s) => (s >= 40 + 120 && s < 40 + 150 ? { ...p, online: Math.max(0, p.online - 50) } : p));
    const behind = comparePlanToRun(scenario, { ...summary, series: late } as typeof summary);
    // Compared within a second either way, so a rising curve shaves a few devices off the 50.
    expect(behind.maxDeviationDevices).toBeGreaterThanOrEqual(40);
    expect(behind.maxDeviationDevices).toBeLessThanOrEqual(50);
    expect(behind.maxDeviationPct).toBe(+((100 * behind.maxDeviationDevices!) / 500).toFixed(2));
    expect(behind.atMs).toBeGreaterThanOrEqual(160_000);
  });

  test('no plan for a timeline the planner declines: the reason instead', async () => {
    const { comparePlanToRun } = await import('../../simulators/model/compare-to-run.ts');
    const scenario = validateScenario(builtInScenarios['flapping'], 'flapping');
    const summary = { devices: 10, faultAtMs: 1000, series: [{ t: 0, online: 10 }, { t: 1000, online: 0 }] } as unknown as Parameters<typeof comparePlanToRun>[1];
    expect(comparePlanToRun(scenario, summary)).toMatchObject({ maxDeviationPct: null, note: expect.stringMatching(/backend up between them/) });
  });
});
