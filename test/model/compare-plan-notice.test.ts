// The plain plan takes a kill as noticed at once; a real one takes the machine
// a moment (killing the process, resetting its sockets), which the time scale
// magnifies into scenario seconds. The comparison counts from the fleet's
// notice, says how long it took, and only within a bounded window.
import { describe, expect, test } from 'vitest';
import type { RunSummary } from '../../reports/run-collector.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { comparePlanToRun, planDefaultServiceTimeMs } from '../../simulators/model/compare-to-run.ts';
import { unlimitedCapacity } from '../../simulators/model/capacity-model.ts';
import { runStormModel } from '../../simulators/model/storm-model.ts';

const devices = 500;
const faultAtMs = 40_000;
const timeouts = { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 };

function scenarioWith(chaosKind: 'kill' | 'freeze') {
  return validateScenario({ name: 'notice', seed: 'notice', fleet: { devices, rampUp: '10s' }, chaos: [{ kind: chaosKind, at: '10s', for: '1m' }], deadline: '30m' }, 'test');
}

/** The plan itself as the measured run, except that the fleet stays online `lagS` seconds into the fault. */
function measuredWithLag(scenario: ReturnType<typeof scenarioWith>, fault: 'hard-kill' | 'freeze', lagS: number): RunSummary {
  const planned = runStormModel({
    devices,
    seed: scenario.seed,
    policy: scenario.policy,
    timeouts,
    fault: { kind: fault, atMs: 0, outageMs: 60_000 },
    capacity: { ...unlimitedCapacity, serviceTimeMs: planDefaultServiceTimeMs },
    untilMs: 900_000,
  });
  const first = faultAtMs / 1000;
  const series = Array.from({ length: first + planned.series.length }, (_, s) => ({
    t: s * 1000,
    online: s < first + lagS ? devices : planned.series[s - first].online,
    attempts: 0,
    successes: 0,
    failures: {},
    lost: {},
  }));
  return { devices, faultAtMs, series } as unknown as RunSummary;
}

describe('the plain plan against a run whose fleet noticed the kill late', () => {
  const kill = scenarioWith('kill');

  test('a 3 s notice: counted from the notice, and the lag is reported', () => {
    const plan = comparePlanToRun(kill, measuredWithLag(kill, 'hard-kill', 3));
    expect(plan.noticeLagMs).toBe(3000);
    expect(plan.fromMs).toBe(faultAtMs);
    expect(plan.comparedFromMs).toBe(faultAtMs + 3000);
    // From the notice on, the run is the plan.
    expect(plan.maxDeviationDevices).toBe(0);
    // The plan's curve still starts at the fault, for the chart.
    expect(plan.predictedOnline[0]).toBe(0);
  });

  test('on time: nothing skipped', () => {
    const plan = comparePlanToRun(kill, measuredWithLag(kill, 'hard-kill', 0));
    expect(plan).toMatchObject({ noticeLagMs: 0, comparedFromMs: faultAtMs, maxDeviationDevices: 0 });
  });

  test('a fleet still online 20 s into a kill is a gap, not a notice', () => {
    const plan = comparePlanToRun(kill, measuredWithLag(kill, 'hard-kill', 20));
    expect(plan.noticeLagMs).toBe(0);
    expect(plan.maxDeviationDevices).toBe(devices);
    expect(plan.maxDeviationPct).toBe(100);
  });

  test('a freeze is noticed by heartbeat, which the plan models: no notice window', () => {
    const freeze = scenarioWith('freeze');
    const plan = comparePlanToRun(freeze, measuredWithLag(freeze, 'freeze', 0));
    expect(plan.noticeLagMs).toBe(0);
    expect(plan.comparedFromMs).toBe(faultAtMs);
    expect(plan.maxDeviationDevices).toBe(0);
  });
});

describe("the plain plan says when its busiest second is beyond the machine's", () => {
  const kill = scenarioWith('kill');
  const measured = (timeScale: number): RunSummary => ({ ...measuredWithLag(kill, 'hard-kill', 0), timeScale }) as RunSummary;
  // The plan's busiest second after the restore (60 s into the fault), counted here from the model's own series.
  const planned = runStormModel({
    devices,
    seed: kill.seed,
    policy: kill.policy,
    timeouts,
    fault: { kind: 'hard-kill', atMs: 0, outageMs: 60_000 },
    capacity: { ...unlimitedCapacity, serviceTimeMs: planDefaultServiceTimeMs },
    untilMs: 900_000,
  });
  const busiest = Math.max(...planned.series.slice(60).map((p) => p.attempts));

  test('at a scale where that second is more per real second than the machine connects: named, with a scale that keeps up', () => {
    const scale = Math.ceil(4000 / busiest);
    const plan = comparePlanToRun(kill, measured(scale));
    expect(plan.beyondMachine).toContain(`busiest second after the restore has ${busiest} attempts`);
    expect(plan.beyondMachine).toContain(`at time scale ${scale}`);
    expect(plan.beyondMachine).toContain(`try --time-scale ${Math.floor(2000 / busiest)} or less`);
  });

  test('at a scale the machine keeps: nothing said', () => {
    expect(comparePlanToRun(kill, measured(Math.floor(2000 / busiest))).beyondMachine).toBeUndefined();
    expect(comparePlanToRun(kill, measuredWithLag(kill, 'hard-kill', 0)).beyondMachine).toBeUndefined();
  });
});

describe('the plain plan uses the timings the run uses', () => {
  test("nov4 at 5,000 devices, time scale 60: the harness stretches the heartbeats, and the plan's notices move with them", async () => {
    const { builtInScenarios } = await import('../../scenarios/library/index.ts');
    const { runTimeouts } = await import('../../simulators/model/compare-to-run.ts');
    const { machineTiming } = await import('../../scenarios/machine-timing.ts');
    const nov4 = builtInScenarios['nov4-cpu-lockup'] as { fleet: object };
    const small = validateScenario({ ...nov4, fleet: { ...nov4.fleet, devices: 1000 } }, 'test');
    const large = validateScenario({ ...nov4, fleet: { ...nov4.fleet, devices: 5000 } }, 'test');
    // At 1,000 devices nothing is stretched: the scenario's own 30 s and 75 s.
    expect(runTimeouts(small)).toMatchObject({ heartbeatIntervalMs: 30_000, heartbeatMs: 75_000 });
    // At 5,000 the run pings every minute and gives up after 2m30s; the plan must too.
    const timing = machineTiming(large);
    expect(timing.heartbeatIntervalMs).toBeGreaterThan(30_000);
    expect(runTimeouts(large)).toEqual({
      connectMs: timing.connectTimeoutMs,
      handshakeMs: timing.handshakeTimeoutMs,
      heartbeatMs: timing.heartbeatTimeoutMs,
      heartbeatIntervalMs: timing.heartbeatIntervalMs,
    });
    expect(runTimeouts(large).heartbeatMs).toBeGreaterThan(75_000);
  });
});
