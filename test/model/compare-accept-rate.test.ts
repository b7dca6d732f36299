// The plain plan and the replay take the scenario's target.acceptRate as the
// backend's capacity (overload 503 at once, no queue: the reference backend's
// answer, simulators/backend/accept-rate-limit.ts), and say so.
import { describe, expect, test } from 'vitest';
import type { RunSummary } from '../../reports/run-collector.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import type { CapacityParams } from '../../simulators/model/capacity-model.ts';
import { compareModelToRun, comparePlanToRun, planDefaultServiceTimeMs } from '../../simulators/model/compare-to-run.ts';
import { runStormModel } from '../../simulators/model/storm-model.ts';

const input = {
  name: 'rate-limited',
  seed: 'rate',
  fleet: { devices: 500, rampUp: '30s' },
  chaos: [{ kind: 'kill', at: '10s', for: '1m' }],
  deadline: '30m',
};
const timeouts = { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 };
const at5PerSecond = (serviceTimeMs: number): CapacityParams => ({ acceptPerSecond: 5, maxInFlight: Infinity, serviceTimeMs, overload: '503', queueMs: 0 });

describe('target.acceptRate in the comparisons', () => {
  test('the plain plan admits at the target\'s rate with 503 beyond it: a run that is that plan deviates by 0, and the unlimited plan is far off', () => {
    const limited = validateScenario({ ...input, target: { kind: 'reference', acceptRate: '5/s' } }, 'test');
    const planned = runStormModel({
      devices: 500,
      seed: limited.seed,
      policy: limited.policy,
      timeouts,
      fault: { kind: 'hard-kill', atMs: 0, outageMs: 60_000 },
      capacity: at5PerSecond(planDefaultServiceTimeMs),
      untilMs: 900_000,
    });
    // The rate matters here: 500 devices at 5/s take at least 100 s to come back, and some are turned away.
    expect(planned.failures.byCause['rejected-503']).toBeGreaterThan(0);
    const faultAtMs = 40_000;
    const series = Array.from({ length: 40 + planned.series.length }, (_, s) => ({ t: s * 1000, online: s < 40 ? 500 : planned.series[s - 40].online, attempts: 0, successes: 0, failures: {}, lost: {} }));
    const summary = { devices: 500, faultAtMs, series } as unknown as RunSummary;

    const plan = comparePlanToRun(limited, summary);
    expect(plan).toMatchObject({ maxDeviationDevices: 0, assumed: { fault: 'hard-kill', serviceTimeMs: 50, capacity: { acceptPerSecond: 5, queueMs: 0 } } });

    const unlimited = comparePlanToRun(validateScenario(input, 'test'), summary);
    expect(unlimited.assumed.capacity).toBe('unlimited');
    // More than the 5% tolerance: the rate is what the plan must know.
    expect(unlimited.maxDeviationPct).toBeGreaterThan(5);
  });

  test('the replay admits at the rate too: a run that is the model at that rate deviates by at most one device', () => {
    const scenario = validateScenario({ ...input, fleet: { devices: 500, rampUp: '5m' }, timeScale: 20, target: { kind: 'reference', acceptRate: '300/m' } }, 'test');
    const truth = modelledRun(scenario, 300_000);
    expect(truth.failures.byCause['rejected-503']).toBeGreaterThan(0);
    const replay = compareModelToRun(scenario, summaryOf(truth.series));
    expect(replay.assumed.capacity).toEqual({ acceptPerSecond: 5, queueMs: 0 });
    // The replay reads the boot from whole-second points and, once the boot meets 503s (whose retries are
    // attempts too), from the seed's offsets after a start fitted to 10 ms: a limiter that holds nobody turns an
    // attempt a few ms early away, so two devices of 500 apart at most (before the boot fix: 136).
    expect(replay.maxDeviationDevices).toBeLessThanOrEqual(2);
    const unlimited = compareModelToRun(validateScenario({ ...input, fleet: { devices: 500, rampUp: '5m' }, timeScale: 20 }, 'test'), summaryOf(truth.series));
    expect(unlimited.assumed.capacity).toBe('unlimited');
    expect(unlimited.maxDeviationPct).toBeGreaterThan(5);
  });

  test("503s before the fault are the rate's, not a machine that fell behind", () => {
    // 500 devices booting over 10 s at 5/s: the boot itself meets the limit.
    const scenario = validateScenario({ ...input, fleet: { devices: 500, rampUp: '10s' }, timeScale: 20, target: { kind: 'reference', acceptRate: '5/s' } }, 'test');
    const truth = modelledRun(scenario, 10_000);
    expect(truth.series.slice(0, 400).reduce((sum, p) => sum + (p.failures['rejected-503'] ?? 0), 0)).toBeGreaterThan(0);
    expect(compareModelToRun(scenario, summaryOf(truth.series)).note).toBeUndefined();
    const unlimited = validateScenario({ ...input, fleet: { devices: 500, rampUp: '10s' }, timeScale: 20 }, 'test');
    expect(compareModelToRun(unlimited, summaryOf(truth.series)).note).toMatch(/^\d+ attempts failed before the fault: the backend or the fleet fell behind/);
  });
});

/** The model at 5/s, booting from 2 s over `rampUpMs`, killed at 400 s for 60 s: the run `summaryOf` dresses as measured. */
function modelledRun(scenario: ReturnType<typeof validateScenario>, rampUpMs: number): ReturnType<typeof runStormModel> {
  return runStormModel({
    devices: 500,
    seed: scenario.seed,
    policy: scenario.policy,
    timeouts,
    fault: { kind: 'hard-kill', atMs: 400_000, outageMs: 60_000 },
    capacity: at5PerSecond(0),
    boot: { startAtMs: 2_000, rampUpMs },
    untilMs: 1_200_000,
  });
}

/** A "measured" run that is a model run: the fault at 400 s, restored at 460 s, handshakes taking no time. */
function summaryOf(series: RunSummary['series']): RunSummary {
  return {
    devices: 500,
    timeScale: 20,
    faultAtMs: 400_000,
    restoredAtMs: 460_000,
    handshakeMs: { p50: 0, p90: 0, p99: 0, max: 0, count: 0 },
    series,
  } as unknown as RunSummary;
}
