import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runScenario } from '../../scenarios/runner.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import type { RunEvent } from '../../reports/run-events.ts';
import { summarySchemaVersion } from '../../reports/run-collector.ts';
import { devicePolicyRng } from '../../simulators/devices/fleet.ts';
import { createPolicy, plannedDelays } from '../../simulators/devices/policy/index.ts';

const devices = 500;
const timeScale = 30;

describe('a real hard-kill run: 500 devices, reference backend, time scale 30', () => {
  const scenario = validateScenario(
    {
      name: 'it-hard-kill',
      seed: 'integration',
      timeScale,
      fleet: { devices, rampUp: '10s' },
      chaos: [{ kind: 'kill', at: '10s', for: '1m' }],
      settle: '5s',
      deadline: '15m',
    },
    'test',
  );
  const runDir = join(mkdtempSync(join(tmpdir(), 'aftershock-it-')), 'run');
  const result = runScenario({ scenario, runDir });

  test('every device comes back after the restart', async () => {
    const { summary } = await result;
    expect(summary.outcome).toBe('recovered');
    expect(summary.devicesOnlineAtEnd).toBe(devices);
    expect(summary.neverReturned.count).toBe(0);
    // While the backend is down, attempts are refused.
    expect(summary.failures.byCause.refused).toBeGreaterThan(0);
  });

  test('a hard kill resets every socket: each device online at the kill notices by close or error, before any heartbeat timeout could fire', async () => {
    await result;
    const events = readFileSync(join(runDir, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RunEvent);
    const online = new Set<number>();
    let killAt: number | undefined;
    let onlineAtKill = new Set<number>();
    const noticed = new Map<number, string>();
    for (const event of events) {
      if (killAt === undefined) {
        if (event.type === 'online') online.add(event.device);
        if (event.type === 'lost') online.delete(event.device);
        if (event.type === 'chaos' && event.action === 'inject') {
          killAt = event.t;
          onlineAtKill = new Set(online);
        }
      } else if (event.type === 'lost' && event.t <= killAt + scenario.fleet.heartbeatTimeout && !noticed.has(event.device)) {
        noticed.set(event.device, event.cause);
      }
    }
    expect(onlineAtKill.size).toBeGreaterThan(devices * 0.9);
    expect(new Set(noticed.keys())).toEqual(onlineAtKill);
    for (const cause of noticed.values()) expect(['close', 'error']).toContain(cause);
  });

  test('recovery is no slower than the policy allows: t100 within one cap (6 min) of the restart', async () => {
    const { summary } = await result;
    expect(summary.faultAtMs).not.toBeNull();
    expect(summary.restoredAtMs! - summary.faultAtMs!).toBeGreaterThanOrEqual(60_000);
    // Tolerance: 2 s of real time (scaled) for handshakes and scheduling under load.
    expect(summary.recovery.t100!).toBeLessThanOrEqual(360_000 + 2000 * timeScale);
    expect(summary.recovery.t50!).toBeLessThanOrEqual(summary.recovery.t100!);
  });

  test('no device retried faster than its policy allows, and every wait is the one its seed plans', async () => {
    await result;
    const events = readFileSync(join(runDir, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RunEvent);
    const policy = createPolicy(scenario.policy);
    const toleranceMs = 2 * timeScale; // 2 ms of real timer slack, in scenario ms
    const waits = new Map<number, { t: number; delayMs: number; attempt: number }[]>();
    const lastWait = new Map<number, { t: number; delayMs: number }>();
    let checkedAttempts = 0;
    for (const event of events) {
      if (event.type === 'wait') {
        const list = waits.get(event.device) ?? [];
        list.push({ t: event.t, delayMs: event.delayMs, attempt: event.attempt });
        waits.set(event.device, list);
        lastWait.set(event.device, event);
      } else if (event.type === 'attempt' && event.attempt > 0) {
        const wait = lastWait.get(event.device)!;
        expect(event.t - wait.t).toBeGreaterThanOrEqual(wait.delayMs - toleranceMs);
        checkedAttempts++;
      }
    }
    expect(checkedAttempts).toBeGreaterThan(devices);
    // Recompute each device's waits from (seed, device) alone; the run must match.
    for (const [device, list] of waits) {
      const rng = devicePolicyRng(scenario.seed, device);
      let previous = 0;
      for (const wait of list) {
        const expected = policy.nextDelayMs(wait.attempt, wait.attempt === 1 ? 0 : previous, rng);
        expect(wait.delayMs).toBeCloseTo(expected, 6);
        previous = wait.delayMs;
      }
    }
    // Sanity of the recomputation itself: the first planned wait is in [0, 60 s].
    const first = plannedDelays(policy, devicePolicyRng(scenario.seed, 0), 1)[0];
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThanOrEqual(60_000);
  });

  test('summary.json holds the run on disk', async () => {
    await result;
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ schemaVersion: summarySchemaVersion, scenario: 'it-hard-kill', seed: 'integration', timeScale, devices });
    for (const key of ['faultAtMs', 'restoredAtMs', 'recovery', 'attempts', 'failures', 'neverReturned', 'series']) {
      expect(summary).toHaveProperty(key);
    }
    expect(summary.attempts.peakPerSecond).toBeGreaterThan(0);
    expect(summary.series.length).toBeGreaterThan(60);
  });
});
