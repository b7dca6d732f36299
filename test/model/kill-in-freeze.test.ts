// A freeze ended by a kill (the Nov 4 lockup, forced off): the planner's
// outage refuses from the kill on, resets what hangs on the frozen backend,
// and closes the connections of devices that had not noticed the freeze.
import { describe, expect, test } from 'vitest';
import { runStormModel, type StormModelInput } from '../../simulators/model/storm-model.ts';

const unlimited = { acceptPerSecond: Infinity, maxInFlight: Infinity, serviceTimeMs: 50, overload: 'refuse' as const };
const base: Omit<StormModelInput, 'fault'> = {
  devices: 2000,
  seed: 'kill-in-freeze',
  policy: { kind: 'staged', firstMinMs: 0, firstMaxMs: 60_000, baseMs: 60_000, factor: 2, capMs: 360_000, jitter: 'full' },
  timeouts: { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 },
  capacity: unlimited,
  keepDeviceTimes: true,
};
const failuresIn = (r: ReturnType<typeof runStormModel>, cause: string, fromS: number, toS: number): number =>
  r.series.slice(fromS, toS).reduce((sum, p) => sum + ((p.failures as Record<string, number>)[cause] ?? 0), 0);

describe('a kill inside a freeze', () => {
  test('hanging attempts are reset at the kill, later ones refused, and none is served at the restore', () => {
    const frozen = runStormModel({ ...base, fault: { kind: 'freeze', atMs: 0, outageMs: 900_000 } });
    const killed = runStormModel({ ...base, fault: { kind: 'freeze', atMs: 0, outageMs: 900_000, killAtMs: 600_000 } });
    // Without the kill, attempts whose handshake timeout outlasts the freeze are picked up at the restore: some are back at once.
    expect(frozen.deviceBackMs!.filter((ms) => ms < 100).length).toBeGreaterThan(0);
    expect(frozen.failures.byCause.reset ?? 0).toBe(0);
    expect(frozen.failures.byCause.refused ?? 0).toBe(0);
    // With it, what hung at the kill is reset there, every attempt after it is refused, and nothing
    // is served by the restore itself: the first comes back a service time after its attempt.
    expect(failuresIn(killed, 'reset', 600, 601)).toBe(killed.failures.byCause.reset);
    expect(killed.failures.byCause.reset).toBeGreaterThan(0);
    expect(failuresIn(killed, 'refused', 600, 900)).toBe(killed.failures.byCause.refused);
    expect(killed.failures.byCause.refused).toBeGreaterThan(0);
    expect(failuresIn(killed, 'handshake-timeout', 610, 2000)).toBe(0);
    expect(Math.min(...killed.deviceBackMs!)).toBeGreaterThanOrEqual(50);
    // Every device is back in the end either way, and the books balance.
    for (const r of [frozen, killed]) {
      expect(r.neverReturned).toBe(0);
      expect(r.attempts.total).toBe(r.successes + r.failures.total);
    }
  });

  test('devices that had not noticed the freeze lose their connection at the kill, as a close', () => {
    // A heartbeat timeout longer than the time to the kill: nobody notices the freeze before it.
    const r = runStormModel({ ...base, timeouts: { ...base.timeouts, heartbeatMs: 400_000 }, fault: { kind: 'freeze', atMs: 0, outageMs: 900_000, killAtMs: 300_000 } });
    expect(r.lost.byCause).toEqual({ close: 2000 });
    expect(r.series[300].lost).toEqual({ close: 2000 });
    // With the kill after the timeouts, all of them notice by heartbeat first.
    const late = runStormModel({ ...base, fault: { kind: 'freeze', atMs: 0, outageMs: 900_000, killAtMs: 600_000 } });
    expect(late.lost.byCause).toEqual({ 'heartbeat-timeout': 2000 });
  });

  test('a kill time outside the outage, or on a fault that already refuses, is refused', () => {
    expect(() => runStormModel({ ...base, fault: { kind: 'freeze', atMs: 0, outageMs: 60_000, killAtMs: 60_000 } })).toThrow(/killAtMs needs .* inside its outage/);
    expect(() => runStormModel({ ...base, fault: { kind: 'hard-kill', atMs: 0, outageMs: 60_000, killAtMs: 1_000 } })).toThrow(/killAtMs needs a freeze or a network cut/);
  });
});
