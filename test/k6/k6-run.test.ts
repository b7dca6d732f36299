import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reportFromK6 } from '../../reports/k6/report-from-k6.ts';
import type { RunEvent } from '../../reports/run-events.ts';
import type { RunSummary } from '../../reports/run-collector.ts';
import { playChaos, type ChaosPlayTarget } from '../../scenarios/k6/chaos-play.ts';
import { exportK6, scriptFileName } from '../../scenarios/k6/export-k6.ts';
import { freePort } from '../../scenarios/targets/reference-target.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { devicePolicyRng } from '../../simulators/devices/device-streams.ts';
import { createPolicy, plannedDelays } from '../../simulators/devices/policy/index.ts';
import { runFakeK6, type FakeK6Run } from './fake-k6/fake-k6.ts';
import { vuIdsOfInstance } from './k6-striping.ts';

// A hard kill of the reference backend in the middle of an exported k6 run:
// 40 devices on 9 VUs over 3 instances, time scale 30 (the kill lasts 1 s).
const scenario = validateScenario(
  {
    name: 'k6-kill',
    seed: 'k6-e2e',
    timeScale: 30,
    fleet: { devices: 40, rampUp: '6s', connectTimeout: '10s', handshakeTimeout: '10s', heartbeatTimeout: '75s' },
    policy: { kind: 'seed', firstWaitMax: '30s', base: '5s', factor: 2, cap: '30s' },
    target: { kind: 'reference', heartbeatInterval: '30s' },
    chaos: [{ kind: 'kill', at: '6s', for: '30s' }],
    onlineTimeout: '1m',
    deadline: '4m',
  },
  'test',
);

const dirs: string[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Exports, plays the chaos, runs the load with `load`, and reports: the whole k6 workflow. */
async function workflow(load: (script: string, target: ChaosPlayTarget, workDir: string) => Promise<string[]>, k6Version?: string): Promise<{ summary: RunSummary; events: RunEvent[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-k6-run-'));
  dirs.push(dir);
  const exportDir = join(dir, 'export');
  await exportK6({ scenario, outDir: exportDir, parallelism: 3, devicesPerVu: 5, ...(k6Version ? { k6Version } : {}) });
  let targetUp!: (target: ChaosPlayTarget) => void;
  const target = new Promise<ChaosPlayTarget>((resolve) => (targetUp = resolve));
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  const chaos = playChaos({ scenario, runDir: join(dir, 'chaos'), signal: abort.signal, onTarget: targetUp, firstDeviceTimeoutMs: 30_000 });
  chaos.catch(() => undefined);
  const workDir = join(dir, 'load');
  mkdirSync(workDir);
  const outputs = await load(join(exportDir, scriptFileName), await target, workDir);
  const played = await chaos;
  expect(played.outcome).toBe('recovered');
  const { summary } = await reportFromK6({ k6Outputs: outputs, chaos: played.eventsPath, runDir: exportDir, thresholdsOf: () => [], log: () => {} });
  const events = readFileSync(join(exportDir, 'events.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as RunEvent);
  return { summary, events };
}

function expectReconnected(summary: RunSummary, events: RunEvent[]): void {
  expect(summary.devices).toBe(40);
  expect(summary.chaos.filter((c) => c.action !== 'note').map((c) => `${c.kind} ${c.action}`)).toEqual(['kill inject', 'kill undo']);
  // Every device noticed the kill as a reset connection and came back after the restart.
  expect(summary.lost.byCause).toEqual({ close: 40 });
  expect(summary.neverReturned.count).toBe(0);
  expect(summary.devicesOnlineAtEnd).toBe(40);
  expect(summary.outcome).toBe('recovered');
  expect(summary.restoredAtMs).not.toBeNull();
  expect(summary.recovery.t100).not.toBeNull();
  expect(summary.verification.earlyAttempts).toBe(0);
  // Attempts failed only as a restarting backend makes them fail: refused while it is down; reset, rejected, or
  // an upgrade not answered within the connect timeout (k6 cannot see TCP apart from the upgrade) while it comes up.
  const causes = Object.keys(summary.failures.byCause);
  expect(summary.failures.byCause.refused, JSON.stringify(summary.failures.byCause)).toBeGreaterThan(0);
  expect(causes.filter((cause) => !['refused', 'reset', 'rejected', 'connect-timeout'].includes(cause)), JSON.stringify(summary.failures.byCause)).toEqual([]);
  // The same policy code on the same streams: each device's first wait after the loss is the one the local fleet plans.
  const policy = createPolicy(scenario.policy);
  const firstWaits = events.filter((e): e is Extract<RunEvent, { type: 'wait' }> => e.type === 'wait' && e.attempt === 1);
  expect(new Set(firstWaits.map((e) => e.device)).size).toBe(40);
  for (const wait of firstWaits) expect(wait.delayMs).toBe(plannedDelays(policy, devicePolicyRng(scenario.seed, wait.device), 1)[0]);
}

describe('an exported script under a kill, on a stand-in for k6', () => {
  it('reconnects every device, and report --from-k6 says so', async () => {
    let run: FakeK6Run | undefined;
    cleanups.push(() => run?.stop());
    const { summary, events } = await workflow(async (script, target, workDir) => {
      // Every VU number of the three instances (k6 striping), each VU its own module instance.
      const sequence: [number, number][] = [[0, 1], [1, 3], [2, 3], [1, 1]];
      const vus = [0, 1, 2].flatMap((segment) => vuIdsOfInstance(sequence, segment, 9));
      run = await runFakeK6({ bundle: readFileSync(script, 'utf8'), workDir, vus, env: { AFTERSHOCK_TARGET_URL: target.deviceBaseUrl } });
      await run.finished;
      const output = join(workDir, 'k6.json');
      run.writeOutput(output);
      run.stop();
      return [output];
    });
    expectReconnected(summary, events);
  });
});

const k6 = spawnSync('k6', ['version'], { encoding: 'utf8' });
const k6Version = k6.status === 0 ? k6.stdout.trim() : undefined;
// "k6 v2.2.0 (go1.24.6, linux/amd64)": the export targets the k6 that runs it.
const installed = /\bv(\d+\.\d+\.\d+)\b/.exec(k6Version ?? '')?.[1];
if (!k6Version) console.warn('test/k6/k6-run.test.ts: no k6 on PATH, so the run with the real k6 binary is skipped (install k6 to run it)');

describe.skipIf(!k6Version)(`an exported script under a kill, on the real k6 (${k6Version ?? 'not installed'})`, () => {
  it('reconnects every device over two k6 instances with execution segments', { timeout: 120_000 }, async () => {
    const { summary, events } = await workflow(async (script, target, workDir) => {
      // k6 itself reads the script: every import resolves in this version.
      const inspect = spawnSync('k6', ['inspect', script], { encoding: 'utf8' });
      expect(inspect.status, `k6 inspect:\n${inspect.stdout}${inspect.stderr}`).toBe(0);
      expect(inspect.stderr).not.toMatch(/deprecated|removed/i);
      const segments = ['0:1/2', '1/2:1'];
      return Promise.all(
        segments.map(async (segment, i) => {
          const output = join(workDir, `k6-${i}.json.gz`);
          const address = `127.0.0.1:${await freePort()}`;
          const child = spawn(
            'k6',
            ['run', '--quiet', '--address', address, '--execution-segment', segment, '--execution-segment-sequence', '0,1/2,1', '-e', `AFTERSHOCK_TARGET_URL=${target.deviceBaseUrl}`, '--out', `json=${output}`, script],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          );
          cleanups.push(() => child.kill('SIGKILL'));
          let log = '';
          child.stdout.on('data', (chunk) => (log += chunk));
          child.stderr.on('data', (chunk) => (log += chunk));
          const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
          expect(code, `k6 ${segment} exited ${code}:\n${log}`).toBe(0);
          return output;
        }),
      );
    }, installed);
    expectReconnected(summary, events);
  });
});
