import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { runScenario } from '../../scenarios/runner.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const devices = 200;

/** A storm, a hard kill and recovery against a real third-party server run as a process target. */
function killRun(name: string, script: string, protocol: object) {
  const scenario = validateScenario(
    {
      name,
      seed: name,
      timeScale: 30,
      fleet: { devices, rampUp: '10s', heartbeatTimeout: '90s' },
      target: { kind: 'process', command: [process.execPath, fixture(script), '--port', '{port}'], ready: { kind: 'log', pattern: 'listening on \\d+' } },
      protocol,
      chaos: [{ kind: 'kill', at: '10s', for: '30s' }],
      settle: '5s',
      deadline: '15m',
    },
    'test',
  );
  return runScenario({ scenario, runDir: join(mkdtempSync(join(tmpdir(), `aftershock-${name}-`)), 'run') });
}

describe('Socket.IO v4 server (socket.io package) as a process target, socketio adapter, hard kill', () => {
  const result = killRun('it-socketio', 'socketio-server.mjs', { kind: 'socketio', token: 'secret-{deviceId}', auth: { deviceId: '{deviceId}', token: '{token}' } });
  test('every device comes back; the summary has the reference run\'s shape', async () => {
    const { summary } = await result;
    expect(summary.outcome).toBe('recovered');
    expect(summary.devicesOnlineAtEnd).toBe(devices);
    expect(summary.neverReturned.count).toBe(0);
    expect(summary.failures.byCause.refused).toBeGreaterThan(0);
    expect(summary.recovery.t100).not.toBeNull();
  });
});

describe('MQTT broker (aedes over WebSocket) as a process target, mqtt adapter, hard kill', () => {
  const result = killRun('it-mqtt', 'aedes-ws-broker.mjs', { kind: 'mqtt', token: 'secret-{deviceId}', keepAlive: 1 });
  test('every device comes back; PINGREQ keep-alive holds devices online between faults', async () => {
    const { summary } = await result;
    expect(summary.outcome).toBe('recovered');
    expect(summary.devicesOnlineAtEnd).toBe(devices);
    expect(summary.neverReturned.count).toBe(0);
    expect(summary.failures.byCause.refused).toBeGreaterThan(0);
  });
});
