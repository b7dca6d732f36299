// A replayed freeze takes the run's own heartbeat notices: a backend's ping
// schedule (one sweep for the whole fleet, say) can make every device notice
// at nearly one moment, which even ping phases would not.
import { describe, expect, test } from 'vitest';
import { policyDefaults } from '../../simulators/devices/policy/index.ts';
import { unlimitedCapacity } from '../../simulators/model/capacity-model.ts';
import { runStormModel, type StormModelInput } from '../../simulators/model/storm-model.ts';

const base: StormModelInput = {
  devices: 100,
  seed: 'notice',
  policy: policyDefaults.seed,
  timeouts: { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 },
  fault: { kind: 'freeze', atMs: 10_000, outageMs: 300_000 },
  capacity: { ...unlimitedCapacity, serviceTimeMs: 50 },
  untilMs: 2_000_000,
};
const lostBySecond = (result: ReturnType<typeof runStormModel>): Map<number, number> => {
  const out = new Map<number, number>();
  result.series.forEach((p, s) => {
    const n = Object.values(p.lost).reduce((sum, x) => sum + x, 0);
    if (n > 0) out.set(s, n);
  });
  return out;
};

describe('heartbeat notices in the model', () => {
  test('without measured notices the fleet notices over the ping interval, 45 to 85 s after the freeze', () => {
    const lost = lostBySecond(runStormModel(base));
    const seconds = [...lost.keys()];
    expect(Math.min(...seconds)).toBeGreaterThanOrEqual(10 + 45);
    expect(Math.max(...seconds)).toBeLessThanOrEqual(10 + 85);
    expect(Math.max(...seconds) - Math.min(...seconds)).toBeGreaterThan(20);
  });

  test('with measured notices: 60 devices at 90 s and 30 at 91 s, and the other 10 never noticed', () => {
    const times = Float64Array.from([...Array<number>(60).fill(90_000), ...Array<number>(30).fill(91_000)]);
    const result = runStormModel({ ...base, noticeTimesMs: times });
    const lost = lostBySecond(result);
    expect([...lost.entries()].filter(([s]) => s < 310)).toEqual([
      [90, 60],
      [91, 30],
    ]);
    // The ten that never noticed were online all along.
    expect(result.series[200].online).toBe(10);
    expect(result.neverReturned).toBe(0);
  });

  test('a fault without a finite outage is refused, not modelled forever', () => {
    expect(() => runStormModel({ ...base, fault: { kind: 'freeze', atMs: 10_000, outageMs: Number.NaN } })).toThrow(/fault needs a finite time and an outage >= 0/);
  });
});
