import { describe, expect, test } from 'vitest';
import { policyDefaults, policyKinds, type PolicyParams } from '../../simulators/devices/policy/index.ts';
import { heartbeatChecksPerTimeout } from '../../simulators/devices/device-streams.ts';
import { unlimitedCapacity, type CapacityParams } from '../../simulators/model/capacity-model.ts';
import type { FaultKind } from '../../simulators/model/fault-model.ts';
import { runStormModel, type StormModelInput } from '../../simulators/model/storm-model.ts';

const timeouts = { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 };

function model(overrides: Partial<StormModelInput> & { policy?: PolicyParams; kind?: FaultKind; outageMs?: number } = {}) {
  const { kind = 'hard-kill', outageMs = 24 * 60_000, ...rest } = overrides;
  return runStormModel({
    devices: 10_000,
    seed: 'model-test',
    policy: policyDefaults.seed,
    timeouts,
    fault: { kind, atMs: 0, outageMs },
    capacity: unlimitedCapacity,
    ...rest,
  });
}

const limited = (acceptPerSecond: number, overload: CapacityParams['overload'] = 'refuse'): CapacityParams => ({
  acceptPerSecond,
  maxInFlight: Infinity,
  serviceTimeMs: 0,
  overload,
});

describe('hand-derivable properties of the model', () => {
  test('seed policy, hard kill, unlimited capacity: first attempts spread uniformly over 60 s, t100 at most 60 s', () => {
    // The backend is back at once, so every device's first attempt succeeds.
    const devices = 600_000;
    const result = model({ devices, outageMs: 0 });
    expect(result.attempts.total).toBe(devices);
    expect(result.failures.total).toBe(0);
    expect(result.lost.byCause.close).toBe(devices);
    // U(0, 60 s): 10,000 first attempts in each of the 60 seconds; the
    // standard deviation is 100, so 5% (500) is five of them.
    for (let s = 0; s < 60; s++) expect(Math.abs(result.series[s].attempts - devices / 60)).toBeLessThan(0.05 * (devices / 60));
    expect(result.series.slice(60).reduce((sum, p) => sum + p.attempts, 0)).toBe(0);
    expect(result.recovery.t100!).toBeLessThanOrEqual(60_000);
    // ...and it takes nearly all of the 60 s: the largest of 600,000 draws.
    expect(result.recovery.t100!).toBeGreaterThan(59_900);
    expect(result.recovery.t50!).toBeGreaterThan(29_000);
    expect(result.recovery.t50!).toBeLessThan(31_000);
  });

  test('after an outage longer than the cap, every device is back within one cap (6 min) of the restart, for every policy', () => {
    for (const kind of policyKinds) {
      const policy = policyDefaults[kind];
      const result = model({ policy, outageMs: 24 * 60_000 });
      expect(result.neverReturned, kind).toBe(0);
      // The longest wait a policy can plan is its cap (constant: its delay).
      expect(result.recovery.t100!, kind).toBeLessThanOrEqual(createdMax(policy));
    }
  });

  test('the no-jitter policy peaks many times higher than the jittered one, for the same fleet', () => {
    const seed = model({ policy: policyDefaults.seed });
    const none = model({ policy: policyDefaults.none });
    // A hard kill drops everyone at once: without jitter all 10,000 retry in the same second after
    // the restore, so the recovery phase's busiest second holds all of them, and its busiest 5 s 10,000 / 5.
    expect(none.phases.recovery!.maxInOneSecond).toBe(10_000);
    expect(none.attempts.peakPerSecond).toBe(2_000);
    expect(none.phases.recovery!.maxInOneSecond).toBeGreaterThan(10 * seed.phases.recovery!.maxInOneSecond);
  });

  test('with a capacity limit, recovery time grows as devices / capacity (t50 = N / 2R within 5%)', () => {
    // N / R = 2000 s, far longer than the 6 min cap: the backend is the bottleneck.
    for (const policy of [policyDefaults.seed, policyDefaults.full]) {
      const small = model({ policy, devices: 20_000, capacity: limited(10), outageMs: 10 * 60_000 });
      const double = model({ policy, devices: 40_000, capacity: limited(10), outageMs: 10 * 60_000 });
      const scaled = model({ policy, devices: 40_000, capacity: limited(20), outageMs: 10 * 60_000 });
      const ideal = 20_000 / (2 * 10) * 1000;
      expect(Math.abs(small.recovery.t50! / ideal - 1), policy.kind).toBeLessThan(0.05);
      expect(Math.abs(double.recovery.t50! / (2 * ideal) - 1), policy.kind).toBeLessThan(0.05);
      expect(Math.abs(scaled.recovery.t50! / ideal - 1), policy.kind).toBeLessThan(0.05);
      // The accept rate is never exceeded (a second holds at most R starts, plus one at its edge).
      expect(Math.max(...small.series.map((p) => p.successes))).toBeLessThanOrEqual(11);
    }
  });

  test('a lockstep herd against a limited backend: each retry round serves what the queue takes within the handshake timeout', () => {
    // constant 10 s waits, 100/s, a 10 s handshake timeout and no service
    // time: a round admits the 1001 devices whose start is within 10 s.
    const result = model({ policy: { kind: 'constant', delayMs: 10_000 }, devices: 10_000, capacity: limited(100), outageMs: 60_000 });
    expect(result.neverReturned).toBe(0);
    expect(result.recovery.t50!).toBeGreaterThan(45_000);
    expect(result.recovery.t100!).toBeLessThanOrEqual(100_000);
    expect(result.failures.byCause.refused).toBeGreaterThan(0);
  });

  test('the overload behaviour decides the failure cause', () => {
    const base = { devices: 20_000, policy: policyDefaults.full, outageMs: 60_000 };
    expect(model({ ...base, capacity: limited(50, 'refuse') }).failures.byCause).toHaveProperty('refused');
    expect(model({ ...base, capacity: limited(50, '503') }).failures.byCause).toHaveProperty('rejected-503');
    expect(model({ ...base, capacity: limited(50, 'timeout') }).failures.byCause).toHaveProperty('handshake-timeout');
  });

  test('max in flight caps the handshakes held at once', () => {
    const result = model({ devices: 20_000, outageMs: 0, capacity: { acceptPerSecond: Infinity, maxInFlight: 25, serviceTimeMs: 2000, overload: '503' } });
    expect(result.peakInFlight).toBe(25);
    expect(result.failures.byCause['rejected-503']).toBeGreaterThan(0);
    // 25 at a time, 2 s each: at most 12.5 handshakes finish per second.
    expect(Math.max(...result.series.map((p) => p.successes))).toBeLessThanOrEqual(25);
  });
});

describe('how devices notice the fault', () => {
  test('freeze: heartbeat timeouts, within one ping interval (and one check) of the timeout', () => {
    const result = model({ kind: 'freeze', outageMs: 10 * 60_000 });
    expect(result.lost.byCause).toEqual({ 'heartbeat-timeout': 10_000 });
    const lostIn = result.series.filter((p) => (p.lost['heartbeat-timeout'] ?? 0) > 0).map((p) => p.t);
    // Last ping in the 30 s before the fault, 75 s timeout, checks every 75/8 s.
    expect(Math.min(...lostIn)).toBeGreaterThanOrEqual(75_000 - 30_000 - 1000);
    expect(Math.max(...lostIn)).toBeLessThan(75_000 + 75_000 / heartbeatChecksPerTimeout);
    expect(Object.keys(result.failures.byCause)).toEqual(['handshake-timeout']);
    expect(result.neverReturned).toBe(0);
  });

  test('a freeze shorter than the heartbeat timeout less a ping interval goes unnoticed', () => {
    const result = model({ kind: 'freeze', outageMs: 40_000 });
    expect(result.lost.total).toBe(0);
    expect(result.recovery.t100).toBe(0);
  });

  test('network cut: connect timeouts while it lasts', () => {
    const result = model({ kind: 'network-cut', outageMs: 10 * 60_000 });
    expect(result.lost.byCause).toEqual({ 'heartbeat-timeout': 10_000 });
    expect(Object.keys(result.failures.byCause)).toEqual(['connect-timeout']);
  });
});

describe('determinism', () => {
  test('same seed, same numbers', () => {
    const a = model({ policy: policyDefaults.full, capacity: limited(200) });
    const b = model({ policy: policyDefaults.full, capacity: limited(200) });
    expect(b).toEqual(a);
    expect(model({ policy: policyDefaults.full, capacity: limited(200), seed: 'other' }).recovery).not.toEqual(a.recovery);
  });

  test('devices added after the first ones do not change them (unlimited capacity, with the boot)', () => {
    const input = { policy: policyDefaults.decorrelated, keepDeviceTimes: true, boot: { startAtMs: 0, rampUpMs: 30_000 } };
    const fault = { kind: 'hard-kill' as const, atMs: 60_000, outageMs: 5 * 60_000 };
    const small = model({ ...input, devices: 1000, fault });
    const large = model({ ...input, devices: 25_000, fault });
    expect(Array.from(large.deviceBackMs!.subarray(0, 1000))).toEqual(Array.from(small.deviceBackMs!));
    expect(small.neverReturned).toBe(0);
  });
});

function createdMax(policy: PolicyParams): number {
  return policy.kind === 'constant' ? policy.delayMs : policy.capMs;
}
