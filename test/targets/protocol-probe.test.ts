import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocolSchema } from '../../scenarios/schema/protocol-schema.ts';
import { processTargetSchema } from '../../scenarios/schema/process-target-schema.ts';
import { processTarget } from '../../scenarios/targets/process-target.ts';
import { probeProtocol } from '../../scenarios/targets/protocol-probe.ts';
import type { StartedTarget } from '../../scenarios/targets/target.ts';
import { createAdapter } from '../../simulators/devices/adapters/index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const adapter = (input: object) => createAdapter(protocolSchema.parse(input));

describe('protocol probe: a target that does not speak the scenario protocol fails fast', () => {
  let runDir: string;
  let socketIo: StartedTarget;
  beforeAll(async () => {
    runDir = mkdtempSync(join(tmpdir(), 'aftershock-probe-'));
    socketIo = await processTarget(processTargetSchema.parse({ kind: 'process', command: [process.execPath, fixture('socketio-server.mjs'), '--port', '{port}'], ready: { kind: 'log', pattern: 'listening' } })).start({ runDir, timeScale: 1 });
  });
  afterAll(async () => {
    await socketIo.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('the right protocol passes', async () => {
    await probeProtocol('t', socketIo.endpoints.wsBaseUrl, adapter({ kind: 'socketio', token: 'secret-{deviceId}', auth: { deviceId: '{deviceId}', token: '{token}' } }), 'dev-000000', 3000);
  });

  it('MQTT against a Socket.IO server: engine.io drops the upgrade on an unknown path; said with what the socket saw', async () => {
    const t0 = Date.now();
    await expect(probeProtocol('process target "socket.io"', socketIo.endpoints.wsBaseUrl, adapter({ kind: 'mqtt' }), 'dev-000000', 3000)).rejects.toThrow(
      /process target "socket\.io" does not answer protocol "mqtt": the connection failed \(awaited a welcome at ws:\/\/127\.0\.0\.1:\d+\/mqtt within 3000 ms\); saw: ECONNRESET; check target and protocol/,
    );
    // Before the budget: the reset is reported as it happens.
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('a plain welcome pattern that never matches: times out, showing the frames that came', async () => {
    await expect(probeProtocol('t', socketIo.endpoints.wsBaseUrl, adapter({ kind: 'plain', path: '/socket.io/?EIO=4&transport=websocket', welcome: '^READY' }), 'dev-000000', 700)).rejects.toThrow(
      /t does not answer protocol "plain": no welcome in time \(awaited a welcome at .* within 700 ms\); saw: open, "0\{\\"sid\\"/,
    );
  });

  it('socket.io auth refused: the CONNECT_ERROR is the message', async () => {
    await expect(probeProtocol('t', socketIo.endpoints.wsBaseUrl, adapter({ kind: 'socketio', auth: { token: 'wrong' } }), 'dev-000000', 3000)).rejects.toThrow(
      't does not answer protocol "socketio": the backend answered with an error ({"message":"bad token"})',
    );
  });
});

describe('a run whose target speaks another protocol', () => {
  it('stops before the storm with the probe\'s message', async () => {
    const { runScenario } = await import('../../scenarios/runner.ts');
    const { validateScenario } = await import('../../scenarios/validate-scenario.ts');
    const scenario = validateScenario(
      {
        name: 'it-wrong-protocol',
        timeScale: 30,
        fleet: { devices: 20, rampUp: '5s' },
        target: { kind: 'process', command: [process.execPath, fixture('socketio-server.mjs'), '--port', '{port}'], ready: { kind: 'log', pattern: 'listening' } },
        protocol: { kind: 'plain', path: '/socket.io/?EIO=4&transport=websocket', welcome: '^READY' },
      },
      'test',
    );
    const t0 = Date.now();
    const runDir = join(mkdtempSync(join(tmpdir(), 'aftershock-wrong-')), 'run');
    await expect(runScenario({ scenario, runDir })).rejects.toThrow(/the process target at ws:\/\/127\.0\.0\.1:\d+ does not answer protocol "plain": no welcome in time \(awaited a welcome at .* within 2000 ms\); saw: open, "0\{/);
    expect(Date.now() - t0).toBeLessThan(8000);
  });
});
