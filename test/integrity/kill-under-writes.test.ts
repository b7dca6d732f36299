import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { killUnderWrites } from '../../scenarios/library/kill-under-writes.ts';
import { runScenario } from '../../scenarios/runner.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { runSummarySchema } from '../../reports/summary-schema.ts';

// The built-in torture, shorter: 5 hard kills in 5 minutes (scenario time),
// 200 devices, time scale 30, content assigned all along.
const devices = 200;
const kills = 5;

describe('kill-under-writes, short: 5 hard kills under continuous assignments', () => {
  const scenario = validateScenario(killUnderWrites({ kills, spanMs: 5 * 60_000, devices }), 'test');
  const runDir = join(mkdtempSync(join(tmpdir(), 'aftershock-torture-')), 'run');
  const result = runScenario({ scenario, runDir });

  test('nothing acknowledged is lost and every device converges, across every kill', { timeout: 180_000 }, async () => {
    const { summary } = await result;
    expect(summary.outcome).toBe('recovered');
    expect(summary.chaos.filter((c) => c.action === 'inject')).toHaveLength(kills);
    const integrity = summary.integrity!;
    // The writes met the outages: some were refused, and many were acknowledged.
    expect(integrity.assignments.failed.byCause.refused).toBeGreaterThan(0);
    // Seeding alone acknowledges one per device.
    expect(integrity.assignments.acknowledged).toBeGreaterThan(devices + 100);
    expect(integrity.assignments.lost).toBe(0);
    expect(integrity.assignments.devicesChecked).toBe(devices);
    expect(integrity.convergence).toMatchObject({ devicesOnline: devices, devicesConverged: devices, notConverged: { count: 0 }, devicesShowingLatest: devices });
    expect(integrity.convergence.timeToConvergeMs).toBeGreaterThanOrEqual(0);
    // The last device back converges with its welcome; writes go on until the runner sees every
    // device online (tolerance: 0.5 s real, 15 s scenario: shard batches, polling, writes in flight).
    expect(integrity.convergence.timeToConvergeMs!).toBeLessThanOrEqual(summary.recovery.t100! + 15_000);
    expect(integrity.contentOnScreen).toMatchObject({ shareDuringOutage: 1, devicesShowingAtEnd: devices, fetchFailures: { total: 0 } });
    expect(summary.thresholds!.filter((t) => !t.passed)).toEqual([]);
    expect(runSummarySchema.safeParse(summary).success).toBe(true);
  });

  test('the API is measured before the fault, during the storm and after, with plausible figures', { timeout: 180_000 }, async () => {
    const { summary } = await result;
    const { api } = summary.integrity!;
    const fault = summary.faultAtMs!;
    const restored = summary.restoredAtMs!;
    for (const name of ['before', 'during', 'after'] as const) {
      const window = api[name];
      if (window === null || 'error' in window) throw new Error(`window ${name}: ${JSON.stringify(window)}`);
      // 30 s of scenario time at scale 30: one real second of load (the first kill comes
      // 45 s after the fleet is online, so 'before' fits). Tolerance: 1 s for a loaded machine.
      expect(window.realDurationMs).toBeGreaterThanOrEqual(950);
      expect(window.realDurationMs).toBeLessThan(2000);
      expect(window.connections).toBe(4);
      expect(window.sent).toBeGreaterThanOrEqual(window.requests);
      // During the storm a loaded backend may answer nothing within the window: that is a
      // measurement too ("no answers"). Before and after, the API answers within the second.
      if (name !== 'during') expect(window.requests).toBeGreaterThan(0);
      if (window.requests > 0) {
        expect(window.p50Ms!).toBeLessThanOrEqual(window.p99Ms!);
        expect(window.p99Ms!).toBeLessThanOrEqual(window.maxMs!);
        // Answered within the 2 s request timeout.
        expect(window.maxMs!).toBeLessThan(2000);
      } else expect(window.p50Ms).toBeNull();
      expect(window.non2xx).toBe(0);
    }
    const { before, during, after } = api as Record<string, { startMs: number; endMs: number }>;
    // Before ends by the first fault, during starts at the last restore (tolerance: 0.5 s
    // real, 15 s scenario, for autocannon's last answers and the result crossing IPC).
    expect(before.endMs).toBeLessThanOrEqual(fault + 15_000);
    expect(during.startMs).toBeGreaterThanOrEqual(restored);
    expect(during.startMs - restored).toBeLessThan(15_000);
    expect(after.startMs).toBeGreaterThanOrEqual(during.endMs);
  });

  test('the plan and the events say what was checked', { timeout: 180_000 }, async () => {
    await result;
    const plan = readFileSync(join(runDir, 'plan.txt'), 'utf8');
    expect(plan).toMatch(/start the content origin/);
    expect(plan).toMatch(/read every device back/);
    const events = readFileSync(join(runDir, 'events.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(events.filter((e) => e.type === 'assignment-check')).toHaveLength(devices);
    expect(events.filter((e) => e.type === 'api-load')).toHaveLength(3);
    // The origin stayed up through every kill: its log has only its start line.
    expect(readFileSync(join(runDir, 'origin.log'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
