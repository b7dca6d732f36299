// The model's phases, derived by hand: which attempts fall in the outage and
// which in the recovery, and that a plan's "peak attempts/s" is the recovery's.
import { describe, expect, test } from 'vitest';
import { policyDefaults } from '../../simulators/devices/policy/index.ts';
import { unlimitedCapacity } from '../../simulators/model/capacity-model.ts';
import { runStormModel } from '../../simulators/model/storm-model.ts';

const timeouts = { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 };

describe('phases of a planned storm', () => {
  test('1,000 devices, a retry every 60 s, a 150 s outage: two failing rounds in the outage, one successful round in the recovery', () => {
    const result = runStormModel({
      devices: 1000,
      seed: 'phases',
      policy: { kind: 'constant', delayMs: 60_000 },
      timeouts,
      fault: { kind: 'hard-kill', atMs: 0, outageMs: 150_000 },
      capacity: { ...unlimitedCapacity, serviceTimeMs: 0 },
      untilMs: 600_000,
    });
    const { outage, recovery } = result.phases;
    // Everyone drops at the kill and retries in lockstep at 60 s and 120 s (refused), then at 180 s (back).
    expect(outage).toMatchObject({ fromMs: 0, toMs: 150_000, attempts: 2000, failures: 2000, maxInOneSecond: 1000, peakPerSecond: 200 });
    expect(recovery).toMatchObject({ fromMs: 150_000, attempts: 1000, failures: 0, maxInOneSecond: 1000, peakPerSecond: 200 });
    expect(result.recovery.t100).toBe(30_000);
    // The phase ends with the 100 ms bin that holds the last return.
    expect(recovery!.toMs).toBe(180_100);
    // The headline peak is the recovery's, and starts where the round does.
    expect(result.attempts.peakPerSecond).toBe(recovery!.peakPerSecond);
    expect(result.attempts.peakAtMs).toBeGreaterThan(175_000);
    expect(result.attempts.peakAtMs).toBeLessThanOrEqual(180_000);
    expect(result.phases.boot).toBeNull();
  });

  test('the seed policy in a 24-minute kill: the outage\'s failing attempts peak above the recovery, and the recovery counts only attempts after the restore', () => {
    const outageMs = 24 * 60_000;
    const result = runStormModel({
      devices: 20_000,
      seed: 'phases',
      policy: policyDefaults.seed,
      timeouts,
      fault: { kind: 'hard-kill', atMs: 0, outageMs },
      capacity: unlimitedCapacity,
    });
    const { outage, recovery } = result.phases;
    // Every device makes its first attempt within 60 s of the kill: the outage's busiest 5 s hold far more than the recovery's.
    expect(outage!.peakPerSecond).toBeGreaterThan(recovery!.peakPerSecond);
    // Attempts in the per-second series from the restore on are the recovery's (and a steady phase's, which has none here).
    const afterRestore = result.series.filter((p) => p.t >= outageMs).reduce((n, p) => n + p.attempts, 0);
    expect(recovery!.attempts).toBe(afterRestore - (result.phases.steady?.attempts ?? 0));
    expect(recovery!.attempts + outage!.attempts).toBe(result.attempts.total);
    // Every device is back on its first attempt after the restore (unlimited capacity).
    expect(recovery!.attempts).toBe(20_000);
    expect(recovery!.peakAtMs!).toBeGreaterThanOrEqual(outageMs);
  });
});
