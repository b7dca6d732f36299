// Phases of a run from its events: each has its own attempts, peak, failures
// and handshakes, and the headline peak is the recovery phase's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { comparabilityNotes } from '../../reports/gate/gate-table.ts';
import { compareMetrics, failsGate } from '../../reports/gate/metric-changes.ts';
import { RunCollector, summarySchemaVersion } from '../../reports/run-collector.ts';
import { PhaseBins } from '../../reports/run-phases.ts';
import { loadSummary } from '../../reports/summary-file.ts';
import type { RunEvent } from '../../reports/run-events.ts';

const devices = 40;

/** A run of 40 devices: a boot burst, a fault at 10 s, failing retries, a restore at 20 s, a slower return. */
function storm(): RunEvent[] {
  const events: RunEvent[] = [{ type: 'run-start', t: 0, scenario: 'phases', seed: 1, timeScale: 1, devices, startedAt: '2026-12-06T00:00:00.000Z', versions: {}, policy: {} }];
  // Boot: all 40 attempt within 0.4 s (a peak of 40 in one second), each online 50 ms later.
  for (let d = 0; d < devices; d++) {
    events.push({ type: 'attempt', t: d * 10, device: d, attempt: 1 });
    events.push({ type: 'online', t: d * 10 + 50, device: d, attempt: 1, handshakeMs: 5 });
  }
  events.push({ type: 'chaos', t: 10_000, kind: 'kill', action: 'inject', index: 0 });
  for (let d = 0; d < devices; d++) events.push({ type: 'lost', t: 10_000, device: d, cause: 'error' });
  // Outage: every device retries twice, 2 s apart, and fails (20 per second at most).
  for (const at of [12_000, 14_000]) {
    for (let d = 0; d < devices; d++) {
      const t = at + (d % 20) * 50 + (d >= 20 ? 1000 : 0);
      events.push({ type: 'attempt', t, device: d, attempt: 2 });
      events.push({ type: 'failure', t: t + 1, device: d, attempt: 2, cause: 'refused' });
    }
  }
  events.push({ type: 'chaos', t: 20_000, kind: 'kill', action: 'undo', index: 0 });
  // Recovery: 30 devices in the first second after the restore, 10 more 4 s later; slower handshakes.
  for (let d = 0; d < devices; d++) {
    const t = d < 30 ? 20_100 + d * 20 : 25_000 + (d - 30) * 10;
    events.push({ type: 'attempt', t, device: d, attempt: 3 });
    events.push({ type: 'online', t: t + 100, device: d, attempt: 3, handshakeMs: 80 });
  }
  // Steady: one heartbeat-time reconnect of an unlucky device, much later.
  events.push({ type: 'attempt', t: 40_000, device: 0, attempt: 4 });
  events.push({ type: 'run-end', t: 60_000, outcome: 'recovered' });
  return events;
}

function summaryOf(events: RunEvent[]): ReturnType<RunCollector['summary']> {
  const collector = new RunCollector();
  for (const event of events) collector.add(event);
  return collector.summary();
}

describe('run phases', () => {
  const summary = summaryOf(storm());

  test('each phase has its own bounds, attempts and peak', () => {
    const { boot, outage, recovery, steady } = summary.phases;
    // 40 attempts in 0.4 s: 8/s over the busiest 5 s, 40 in the busiest second.
    expect(boot).toMatchObject({ fromMs: 0, toMs: 10_000, attempts: 40, peakPerSecond: 8, maxInOneSecond: 40, failures: 0 });
    // 80 failing attempts from 12 s to 16 s: all within one 5 s window.
    expect(outage).toMatchObject({ fromMs: 10_000, toMs: 20_000, attempts: 80, peakPerSecond: 16, maxInOneSecond: 20, failures: 80 });
    // The last device is back at 25,090 + 100 ms: the recovery ends there.
    expect(recovery).toMatchObject({ fromMs: 20_000, attempts: 40, peakPerSecond: 8, maxInOneSecond: 30, failures: 0 });
    expect(recovery!.toMs).toBeGreaterThanOrEqual(25_190);
    expect(recovery!.toMs).toBeLessThanOrEqual(25_300);
    expect(recovery!.peakAtMs).toBeGreaterThanOrEqual(20_000);
    expect(recovery!.peakAtMs).toBeLessThanOrEqual(20_100);
    expect(steady).toMatchObject({ toMs: 60_000, attempts: 1 });
    // Every attempt is in exactly one phase.
    expect(boot!.attempts + outage!.attempts + recovery!.attempts + steady!.attempts).toBe(summary.attempts.total);
  });

  test('the headline peak is the recovery phase, not the sharper boot burst', () => {
    expect(summary.attempts.peakPerSecond).toBe(summary.phases.recovery!.peakPerSecond);
    expect(summary.attempts.peakAtMs).toBe(summary.phases.recovery!.peakAtMs);
    expect(summary.phases.boot!.maxInOneSecond).toBeGreaterThan(summary.phases.recovery!.maxInOneSecond);
  });

  test('a phase shorter than the 5 s window: its rate over its own length', () => {
    // 10 devices; restore at 10 s; all back by 10.5 s: the recovery lasts 0.6 s (to the end of the last one's bin).
    const events: RunEvent[] = [{ type: 'run-start', t: 0, scenario: 'quick', seed: 1, timeScale: 1, devices: 10, startedAt: '2026-12-06T00:00:00.000Z', versions: {}, policy: {} }];
    for (let d = 0; d < 10; d++) events.push({ type: 'attempt', t: d, device: d, attempt: 1 }, { type: 'online', t: d + 10, device: d, attempt: 1, handshakeMs: 1 });
    events.push({ type: 'chaos', t: 5000, kind: 'kill', action: 'inject', index: 0 }, { type: 'chaos', t: 10_000, kind: 'kill', action: 'undo', index: 0 });
    for (let d = 0; d < 10; d++) events.push({ type: 'lost', t: 5000, device: d, cause: 'close' });
    for (let d = 0; d < 10; d++) events.push({ type: 'attempt', t: 10_000 + d * 45, device: d, attempt: 2 }, { type: 'online', t: 10_050 + d * 50, device: d, attempt: 2, handshakeMs: 1 });
    events.push({ type: 'run-end', t: 30_000, outcome: 'recovered' });
    const recovery = summaryOf(events).phases.recovery!;
    expect(recovery).toMatchObject({ fromMs: 10_000, toMs: 10_600, attempts: 10, maxInOneSecond: 10 });
    expect(recovery.peakPerSecond).toBeCloseTo(10 / 0.6, 1);
  });

  test('handshake latency per phase', () => {
    expect(summary.phases.boot!.handshakeMs).toMatchObject({ p50: 5, p99: 5, count: 40 });
    expect(summary.phases.recovery!.handshakeMs).toMatchObject({ p50: 80, p99: 80, count: 40 });
    expect(summary.phases.outage!.handshakeMs.count).toBe(0);
  });

  test('without a fault there is only a boot phase, and no recovery peak', () => {
    const quiet = summaryOf(storm().filter((e) => e.type === 'run-start' || e.type === 'run-end' || (e.t < 10_000 && e.type !== 'chaos')));
    expect(quiet.phases).toMatchObject({ outage: null, recovery: null, steady: null });
    expect(quiet.phases.boot).toMatchObject({ attempts: 40, peakPerSecond: 8, maxInOneSecond: 40 });
    expect(quiet.attempts.peakPerSecond).toBeNull();
  });

  test('devices that never came back: the recovery runs to the end and there is no steady phase', () => {
    const stuck = summaryOf(storm().filter((e) => !(e.type === 'online' && e.device === 39 && e.t > 20_000)));
    expect(stuck.phases.recovery!.toMs).toBe(60_000);
    expect(stuck.phases.steady).toBeNull();
  });
});

describe('a schema-2 summary (before phases)', () => {
  /** What aftershock wrote before schema 3: a whole-run peak and no phases. */
  function version2File(dir: string): string {
    const current = summaryOf(storm());
    const { phases: _phases, ...rest } = current;
    const old = { ...rest, schemaVersion: 2, attempts: { total: current.attempts.total, peakPerSecond: 40, peakAtMs: 0 } };
    const path = join(dir, 'old-summary.json');
    writeFileSync(path, JSON.stringify(old));
    return path;
  }

  test('is still read: phases unknown, no recovery peak, and it says where it came from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aftershock-v2-'));
    const read = loadSummary(version2File(dir));
    expect(read.schemaVersion).toBe(summarySchemaVersion);
    expect(read.upgradedFrom).toBe(2);
    expect(read.attempts.peakPerSecond).toBeNull();
    expect(read.phases).toEqual({ boot: null, outage: null, recovery: null, steady: null });
  });

  test('gates against a schema-3 run without failing on the peak it cannot compare, and says why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aftershock-v2-'));
    const baseline = loadSummary(version2File(dir));
    const current = summaryOf(storm());
    const peak = compareMetrics(baseline, current, { tolerancePct: 0 }).find((c) => c.metric === 'attempts.peak_per_s')!;
    expect(peak.status).toBe('new');
    expect(failsGate[peak.status]).toBe(false);
    expect(comparabilityNotes(baseline, current).join('\n')).toMatch(/baseline is a schema-2 summary: its peak covered the whole run/);
  });
});

describe('phase bins', () => {
  test('an attempt that makes the bins grow is counted (the first past 102.4 s, then past 204.8 s)', () => {
    const bins = new PhaseBins();
    for (const t of [1_000, 150_000, 150_050, 300_000]) bins.attempt(t, 10);
    bins.failure(500_000, 3);
    const all = bins.figures(0, 600_000);
    expect(all.attempts).toBe(40);
    expect(all.failures).toBe(3);
    expect(bins.figures(100_000, 200_000)).toMatchObject({ attempts: 20, maxInOneSecond: 20 });
  });
});
