import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { killUnderWrites } from '../../scenarios/library/kill-under-writes.ts';
import { runScenario } from '../../scenarios/runner.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

// The check must be known to work: the same torture against a backend that
// acknowledges a PUT 50 ms before it writes it (--unsafe-ack-before-write,
// a testing-only flag). Every hard kill loses what was acknowledged in its
// last 50 ms, and the ledger must say so. The flag reaches the reference
// target through its environment variable (kept out of scenarios on purpose);
// this test file runs in its own process.
process.env.AFTERSHOCK_BACKEND_UNSAFE_ACK_BEFORE_WRITE = '1';
afterAll(() => {
  delete process.env.AFTERSHOCK_BACKEND_UNSAFE_ACK_BEFORE_WRITE;
});

describe('the ledger catches a backend that acknowledges before the write is durable', () => {
  // A minute of uptime between kills (2 s real at scale 30), longer than a
  // restart under the storm takes, so every kill meets a backend taking writes.
  const base = killUnderWrites({ kills: 3, spanMs: 5 * 60_000, devices: 100, minGapMs: 60_000 });
  // 2 writes per scenario second at scale 30: 60 per real second, so each
  // kill finds about 3 acknowledged but unwritten assignments.
  const scenario = validateScenario({ ...base, integrity: { writesPerSecond: 2, apiLoad: false } }, 'test');
  const runDir = join(mkdtempSync(join(tmpdir(), 'aftershock-unsafe-')), 'run');
  const result = runScenario({ scenario, runDir });

  test('acknowledged assignments are lost, named, and fail the run', { timeout: 180_000 }, async () => {
    const { summary } = await result;
    expect(readFileSync(join(runDir, 'backend.log'), 'utf8')).toMatch(/UNSAFE: PUT is acknowledged before it is durable/);
    expect(summary.outcome).toBe('recovered');
    const { assignments } = summary.integrity!;
    expect(assignments.devicesChecked).toBe(100);
    expect(assignments.lost).toBeGreaterThanOrEqual(1);
    expect(assignments.lostSample.length).toBe(Math.min(assignments.lost!, 20));
    for (const lost of assignments.lostSample) {
      expect(['rolled-back', 'other-url', 'version-reissued']).toContain(lost.why);
      // Each was acknowledged by a backend process that a later kill ended (a restart follows every kill).
      expect(summary.chaos.some((c) => c.action === 'undo' && c.t > lost.ackedAtMs)).toBe(true);
    }
    const failed = summary.thresholds!.filter((t) => !t.passed).map((t) => t.metric);
    expect(failed).toContain('integrity.assignments_lost');
    // Losing writes is not a convergence failure: devices end on what the backend has.
    expect(summary.integrity!.convergence.notConverged.count).toBe(0);
  });
});
