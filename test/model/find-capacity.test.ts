import { describe, expect, test } from 'vitest';
import { parseDuration } from '../../scenarios/duration.ts';
import { policyDefaults } from '../../simulators/devices/policy/index.ts';
import { unlimitedCapacity } from '../../simulators/model/capacity-model.ts';
import { findCapacity, parseRecoveryTarget } from '../../simulators/model/find-capacity.ts';
import { runStormModel, type StormModelInput } from '../../simulators/model/storm-model.ts';

const input: StormModelInput = {
  devices: 50_000,
  seed: 'capacity',
  policy: policyDefaults.seed,
  timeouts: { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 },
  fault: { kind: 'hard-kill', atMs: 0, outageMs: 24 * 60_000 },
  capacity: { ...unlimitedCapacity, serviceTimeMs: 50 },
};

describe('the smallest accept rate for a recovery target', () => {
  test('the rate found meets the target and a rate 2% lower does not', () => {
    const target = { percentile: 99, withinMs: 10 * 60_000 };
    const found = findCapacity(input, target);
    expect(found.acceptPerSecond).not.toBeNull();
    const t99At = (rate: number) => runStormModel({ ...input, capacity: { ...input.capacity, acceptPerSecond: rate }, extraPercentiles: [99] }).recoveryAt[0].ms;
    expect(t99At(found.acceptPerSecond!)!).toBeLessThanOrEqual(target.withinMs);
    const below = t99At(found.acceptPerSecond! * 0.98);
    expect(below === null || below > target.withinMs).toBe(true);
    // The search brackets and bisects: a handful of model runs, not hundreds.
    expect(found.probes.length).toBeLessThan(20);
  });

  test('a target faster than the policy allows has no answer', () => {
    // The seed policy's waits alone take up to 6 minutes after a long outage.
    const found = findCapacity(input, { percentile: 100, withinMs: 60_000 });
    expect(found.acceptPerSecond).toBeNull();
    expect(found.unlimitedMs).toBeNull();
  });

  test('targets are written as share@time', () => {
    expect(parseRecoveryTarget('99%@5m', parseDuration)).toEqual({ percentile: 99, withinMs: 300_000 });
    expect(parseRecoveryTarget('99.9% @ 90s', parseDuration)).toEqual({ percentile: 99.9, withinMs: 90_000 });
    for (const bad of ['99', '120%@5m', '0%@5m', '99%@soon', '99%@60']) expect(parseRecoveryTarget(bad, parseDuration), bad).toBeUndefined();
  });
});
