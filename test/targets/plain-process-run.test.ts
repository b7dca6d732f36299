import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { runScenario } from '../../scenarios/runner.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

const server = fileURLToPath(new URL('./fixtures/plain-ws-server.mjs', import.meta.url));
const devices = 200;

describe('a user backend as a process target, plain protocol with hello/welcome, hard kill', () => {
  const scenario = validateScenario(
    {
      name: 'it-plain-process-kill',
      seed: 'plain',
      timeScale: 30,
      fleet: { devices, rampUp: '10s' },
      target: { kind: 'process', command: [process.execPath, server, '--port', '{port}'], ready: { kind: 'log', pattern: '^listening on' } },
      protocol: { kind: 'plain', path: '/ws', token: 'secret-{deviceId}', hello: 'HELLO {deviceId} {token}', welcome: '^OK ' },
      chaos: [{ kind: 'kill', at: '10s', for: '30s' }],
      settle: '5s',
      deadline: '15m',
    },
    'test',
  );
  const runDir = join(mkdtempSync(join(tmpdir(), 'aftershock-plain-')), 'run');
  const result = runScenario({ scenario, runDir });

  test('every device comes back after the hard kill and restart', async () => {
    const { summary } = await result;
    expect(summary.outcome).toBe('recovered');
    expect(summary.devicesOnlineAtEnd).toBe(devices);
    expect(summary.neverReturned.count).toBe(0);
    expect(summary.failures.byCause.refused).toBeGreaterThan(0);
  });

  test('the backend saw the templated hello: its log has the ready line of both starts', async () => {
    await result;
    const log = readFileSync(join(runDir, 'backend.log'), 'utf8');
    expect(log.match(/^listening on \d+$/gm)).toHaveLength(2);
  });
});

describe('plain protocol without a hello: online when the WebSocket opens', () => {
  const scenario = validateScenario(
    {
      name: 'it-plain-open',
      seed: 'plain-open',
      timeScale: 30,
      fleet: { devices: 50, rampUp: '5s' },
      target: { kind: 'process', command: [process.execPath, server, '--port', '{port}'] },
      protocol: { kind: 'plain', path: '/ws' },
      settle: '3s',
      deadline: '5m',
    },
    'test',
  );
  const runDir = join(mkdtempSync(join(tmpdir(), 'aftershock-plain-open-')), 'run');

  test('all devices online, none lost', async () => {
    const { summary } = await runScenario({ scenario, runDir });
    expect(summary.devicesOnlineAtEnd).toBe(50);
    expect(summary.neverReturned.count).toBe(0);
  });
});
