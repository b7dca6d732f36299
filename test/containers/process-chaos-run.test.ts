import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { RunSummary } from '../../reports/run-collector.ts';
import { runScenario } from '../../scenarios/runner.ts';
import { buildReferenceImage } from '../../scenarios/targets/container/reference-image.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { dockerAvailable, requireDockerInCi } from './docker-fixture.ts';

const devices = 150;

/** kill, a graceful stop held closed, and a freeze, one after the other, on the reference image in a container. */
const scenario = validateScenario(
  {
    name: 'process-chaos-on-container',
    seed: 'process-chaos',
    timeScale: 20,
    fleet: { devices, rampUp: '10s', heartbeatTimeout: '40s' },
    // Short waits: each fault's recovery is over in seconds of scenario time, not the seed policy's minutes.
    policy: { kind: 'constant', delay: '3s' },
    target: { kind: 'container', cpus: 1, memory: '256m', heartbeatInterval: '15s' },
    // Two minutes of scenario time (6 real seconds) between faults: under the whole suite on 2 cores a
    // container's restart alone can take seconds, and CI once saw only 5 of 150 back within one minute.
    chaos: [
      { kind: 'kill', at: '10s', for: '20s' },
      { kind: 'stop', at: '2m30s', for: '20s', grace: '5s', holdClosed: '20s' },
      { kind: 'freeze', at: '5m', for: '1m30s' },
    ],
    settle: '2s',
    deadline: '15m',
  },
  'test',
);

describe.runIf(dockerAvailable)('kill, stop and freeze of a scenario on a container target, in a real run', () => {
  let summary: RunSummary;
  const runDir = join(mkdtempSync(join(tmpdir(), 'aftershock-process-chaos-')), 'run');

  beforeAll(async () => {
    await buildReferenceImage();
    ({ summary } = await runScenario({ scenario, runDir }));
  }, 300_000);

  test('each fault is done through the engine, and the container is started again (held closed when asked)', () => {
    const injected = summary.chaos.filter((c) => c.action === 'inject');
    expect(injected.map((c) => c.kind)).toEqual(['kill', 'stop', 'freeze']);
    expect(injected[0].detail).toMatch(/^docker kill \(SIGKILL\) container aftershock-/);
    expect(injected[1].detail).toMatch(/^stop container aftershock-\S+: SIGTERM through the engine, SIGKILL after 5s$/);
    expect(injected[2].detail).toMatch(/^docker pause container aftershock-\S+ \(cgroup freezer\), unpause on undo$/);
    const notes = summary.chaos.filter((c) => c.action === 'note').map((c) => `${c.kind}: ${c.detail}`);
    expect(notes).toEqual([
      'kill: container exited (exit code 137)',
      expect.stringMatching(/^kill: container aftershock-\S+ started again and ready$/),
      'stop: exited on SIGTERM (exit code 0)',
      expect.stringMatching(/^stop: container aftershock-\S+ started again held closed; devices get 503$/),
      'stop: opened to devices',
    ]);
    expect(readFileSync(join(runDir, 'plan.txt'), 'utf8')).toContain('chaos #2 undo: start the container again, held closed for 20s');
  });

  test('the whole fleet is back after each fault, before the next one', () => {
    const undoneAt = summary.chaos.filter((c) => c.action === 'undo').map((c) => c.t);
    const injectedAt = summary.chaos.filter((c) => c.action === 'inject').map((c) => c.t);
    for (let i = 0; i < 2; i++) {
      const between = summary.series.filter((p) => p.t > undoneAt[i] && p.t + 1000 * summary.timeScale < injectedAt[i + 1]);
      expect(Math.max(...between.map((p) => p.online)), `after fault ${i + 1}`).toBe(devices);
    }
    expect(summary.outcome).toBe('recovered');
    expect(summary.neverReturned.count).toBe(0);
    expect(summary.devicesOnlineAtEnd).toBe(devices);
  });

  test('devices saw each fault as it is: resets for the kill and the stop, 503 while held closed, heartbeat timeouts for the freeze', () => {
    const lostIn = (from: number, to: number): Record<string, number> => {
      const lost: Record<string, number> = {};
      for (const p of summary.series.filter((s) => s.t >= from && s.t < to)) for (const [cause, n] of Object.entries(p.lost)) lost[cause] = (lost[cause] ?? 0) + n;
      return lost;
    };
    // Series points are whole scenario seconds: count from the second each fault began in.
    const [kill, stop, freeze] = summary.chaos.filter((c) => c.action === 'inject').map((c) => Math.floor(c.t / 1000) * 1000);
    // Every device was online at each fault and lost its connection to it.
    expect(Object.values(lostIn(kill, stop)).reduce((a, b) => a + b, 0)).toBe(devices);
    expect(Object.values(lostIn(stop, freeze)).reduce((a, b) => a + b, 0)).toBe(devices);
    expect(lostIn(freeze, Infinity)).toMatchObject({ 'heartbeat-timeout': devices });
    // Held closed only after the stop: every 503 of the run falls between the stop and the freeze.
    const held = summary.series.filter((p) => p.t >= stop && p.t < freeze).reduce((n, p) => n + (p.failures['rejected-503'] ?? 0), 0);
    expect(held).toBeGreaterThan(0);
    expect(summary.failures.byCause['rejected-503']).toBe(held);
  });
});

requireDockerInCi();
