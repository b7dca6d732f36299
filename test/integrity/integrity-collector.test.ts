import { describe, expect, test } from 'vitest';
import { IntegrityCollector } from '../../reports/integrity-collector.ts';
import type { RunEvent } from '../../reports/run-events.ts';

const start: RunEvent = { type: 'run-start', t: 0, scenario: 's', seed: 1, timeScale: 1, devices: 3, startedAt: '', versions: {}, policy: {} };
const integrityStart: RunEvent = { type: 'integrity-start', t: 0, writesPerSecond: 1, origin: true };
const ack = (t: number, device: number, version: number, url: string): RunEvent => ({ type: 'assignment', t, device, version, url, latencyMs: 1 });
const check = (device: number, version: number, url: string): RunEvent => ({ type: 'assignment-check', t: 900, device, content: { version, url } });

function fold(events: RunEvent[], online = [1, 1, 1], restoredAt: number | null = 500) {
  const collector = new IntegrityCollector();
  for (const event of [start, integrityStart, ...events]) collector.add(event);
  return collector.summary({ isOnline: Uint8Array.from(online), restoredAt })!;
}

describe('the integrity fold', () => {
  test('without integrity-start there is no section', () => {
    const collector = new IntegrityCollector();
    collector.add(start);
    expect(collector.summary({ isOnline: new Uint8Array(3), restoredAt: null })).toBeNull();
  });

  test('an acknowledged write is lost when the backend is behind it, holds another URL under its version, or gave its version out again', () => {
    const s = fold([
      // device 0: v1 then v2 acknowledged, backend at v2 with v2's URL: nothing lost.
      ack(10, 0, 1, 'a'), ack(20, 0, 2, 'b'), check(0, 2, 'b'),
      // device 1: v3 acknowledged, backend rolled back to v2.
      ack(30, 1, 2, 'c'), ack(40, 1, 3, 'd'), check(1, 2, 'c'),
      // device 2: v1 'e' acknowledged then lost; its version handed out again to 'f' and later superseded by v2 'g'.
      ack(50, 2, 1, 'e'), ack(60, 2, 1, 'f'), ack(70, 2, 2, 'g'), check(2, 2, 'g'),
    ]);
    expect(s.assignments.acknowledged).toBe(7);
    expect(s.assignments.lost).toBe(2);
    expect(s.assignments.lostSample).toEqual([
      { device: 1, version: 3, url: 'd', ackedAtMs: 40, why: 'rolled-back' },
      { device: 2, version: 1, url: 'e', ackedAtMs: 50, why: 'version-reissued' },
    ]);
  });

  test('same version, other URL: lost', () => {
    const s = fold([ack(10, 0, 4, 'x'), check(0, 4, 'y'), check(1, 1, 'z'), check(2, 1, 'w')]);
    expect(s.assignments.lostSample).toEqual([{ device: 0, version: 4, url: 'x', ackedAtMs: 10, why: 'other-url' }]);
  });

  test('no check, no verdict: lost is null, failures are counted by cause and never as loss', () => {
    const s = fold([ack(10, 0, 1, 'a'), { type: 'assignment-failed', t: 11, device: 1, cause: 'refused' }, { type: 'assignment-failed', t: 12, device: 1, cause: 'in-flight-limit' }]);
    expect(s.assignments).toMatchObject({ attempted: 2, acknowledged: 1, lost: null, failed: { total: 1, byCause: { refused: 1 } }, notSent: 1 });
  });

  test('converged: every online device reports the version the backend holds; time to converge counts from the restore', () => {
    const s = fold(
      [
        { type: 'content', t: 400, device: 0, version: 2 },
        { type: 'showing', t: 401, device: 0, version: 2 },
        { type: 'content', t: 650, device: 1, version: 3 },
        { type: 'content', t: 300, device: 2, version: 1 },
        check(0, 2, 'b'), check(1, 3, 'c'), check(2, 2, 'x'),
      ],
      [1, 1, 0],
    );
    // Device 2 is offline: not held to convergence.
    expect(s.convergence).toEqual({ devicesOnline: 2, devicesConverged: 2, notConverged: { count: 0, sample: [] }, devicesShowingLatest: 1, timeToConvergeMs: 150 });
    const behind = fold([{ type: 'content', t: 400, device: 0, version: 1 }, check(0, 2, 'b'), check(1, 1, 'c'), check(2, 1, 'd')], [1, 0, 0]);
    expect(behind.convergence).toMatchObject({ devicesConverged: 0, notConverged: { count: 1, sample: [0] }, timeToConvergeMs: null });
  });

  test('content on screen: device-time with something shown inside the fault windows, over the whole fleet', () => {
    const s = fold([
      { type: 'showing', t: 50, device: 0, version: 1 },
      { type: 'showing', t: 150, device: 1, version: 1 },
      // Device 2 never shows anything.
      { type: 'chaos', t: 100, kind: 'kill', action: 'inject', index: 0 },
      { type: 'chaos', t: 200, kind: 'kill', action: 'undo', index: 0 },
      { type: 'chaos', t: 300, kind: 'kill', action: 'inject', index: 1 },
      { type: 'chaos', t: 400, kind: 'kill', action: 'undo', index: 1 },
    ]);
    // Device 0: 100 + 100; device 1: 50 + 100; device 2: 0; of 3 x 200.
    expect(s.contentOnScreen).toMatchObject({ deviceMsOnScreen: 350, deviceMsTotal: 600, shareDuringOutage: +(350 / 600).toFixed(6), devicesShowingAtEnd: 2 });
  });
});

describe('the kill schedule of kill-under-writes', () => {
  test('is pure, inside the span, after the lead, with the least gap between a restart and the next kill', async () => {
    const { killSchedule } = await import('../../scenarios/library/kill-schedule.ts');
    const options = { seed: 's', kills: 20, spanMs: 20 * 60_000, minGapMs: 30_000, downMs: [5_000, 20_000] as const, leadMs: 45_000 };
    const kills = killSchedule(options);
    expect(killSchedule(options)).toEqual(kills);
    expect(kills).toHaveLength(20);
    expect(kills[0].atMs).toBeGreaterThanOrEqual(45_000);
    expect(kills[19].atMs + kills[19].forMs).toBeLessThanOrEqual(20 * 60_000);
    for (let i = 0; i < kills.length; i++) {
      expect(kills[i].forMs).toBeGreaterThanOrEqual(5_000);
      expect(kills[i].forMs).toBeLessThanOrEqual(20_000);
      if (i > 0) expect(kills[i].atMs - (kills[i - 1].atMs + kills[i - 1].forMs)).toBeGreaterThanOrEqual(30_000 - 100);
    }
    expect(() => killSchedule({ ...options, kills: 60 })).toThrow(/60 kills of up to 20000 ms with 30000 ms between them need \d+ ms, more than the span of 1155000 ms after the lead of 45000 ms/);
  });
});
