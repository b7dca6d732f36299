import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, test } from 'vitest';
import { assertChaosPossible } from '../../chaos/chaos-preflight.ts';
import type { RunEvent } from '../../reports/run-events.ts';
import { runScenario } from '../../scenarios/runner.ts';
import { externalTarget } from '../../scenarios/targets/external-target.ts';
import { freePort } from '../../scenarios/targets/reference-target.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { externalTargetSchema } from '../../scenarios/schema/external-target-schema.ts';

const server = fileURLToPath(new URL('./fixtures/plain-ws-server.mjs', import.meta.url));

describe('external target: misconfiguration', () => {
  it('a backend that is not there: names the URL, what was awaited, the budget and what was seen', async () => {
    const port = await freePort();
    const target = externalTarget(externalTargetSchema.parse({ kind: 'external', url: `ws://127.0.0.1:${port}`, readyTimeout: '500ms' }));
    await expect(target.start({ runDir: tmpdir(), timeScale: 1 })).rejects.toThrow(
      `external target ws://127.0.0.1:${port} was not ready within 500 ms (awaited a TCP connect to 127.0.0.1:${port}); last check saw: ECONNREFUSED`,
    );
  });

  it('process chaos without a hook is refused before the run, pointing at hooks', () => {
    const scenario = validateScenario({ name: 'x', fleet: { devices: 1 }, target: { kind: 'external', url: 'ws://127.0.0.1:9' }, chaos: [{ kind: 'freeze', at: '1s', for: '1s' }] }, 'test');
    expect(() => assertChaosPossible(scenario)).toThrow(
      'chaos.0 (freeze): needs a target whose process the harness starts (or target.hooks.freeze with inject and undo commands, for kill, freeze and stop); target "external" has none',
    );
  });

  it('a URL with a path is rejected with its field', () => {
    const result = externalTargetSchema.safeParse({ kind: 'external', url: 'ws://h:1/devices' });
    expect(result.error!.issues[0]!.path).toEqual(['url']);
  });
});

describe('external target: a backend started outside the harness, network chaos through Toxiproxy, killed and restarted by hooks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-external-'));
  const port = await freePort();
  const pidFile = join(dir, 'backend.pid');
  // The user's own start command: a detached server, its pid in a file (as a service manager would keep it).
  const startCommand = `nohup ${process.execPath} ${server} --port ${port} --detached >> ${join(dir, 'outside.log')} 2>&1 & echo $! > ${pidFile}`;
  execFileSync('sh', ['-c', startCommand]);
  afterAll(() => {
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  const devices = 100;
  const scenario = validateScenario(
    {
      name: 'it-external',
      seed: 'external',
      timeScale: 30,
      fleet: { devices, rampUp: '5s' },
      target: {
        kind: 'external',
        url: `ws://127.0.0.1:${port}`,
        hooks: { kill: { inject: { run: `kill -9 $(cat ${pidFile})`, timeout: '5s' }, undo: { run: startCommand, timeout: '5s' } } },
      },
      protocol: { kind: 'plain', path: '/ws', hello: 'HELLO {deviceId} {token}', welcome: '^OK ' },
      chaos: [
        { kind: 'network', at: '5s', for: '10s', toxic: { type: 'reset_peer' } },
        { kind: 'kill', at: '40s', for: '30s' },
      ],
      settle: '5s',
      deadline: '15m',
    },
    'test',
  );
  const runDir = join(dir, 'run');
  const result = runScenario({ scenario, runDir });

  test('every device comes back after the network fault and after the hook kill', async () => {
    const { summary } = await result;
    expect(summary.outcome).toBe('recovered');
    expect(summary.devicesOnlineAtEnd).toBe(devices);
    expect(summary.neverReturned.count).toBe(0);
  });

  test('the network fault went through the proxy (devices lost), the kill went through the hook (the outside pid changed)', async () => {
    await result;
    const events = readFileSync(join(runDir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    const chaosAt = (kind: string, action: string) => events.find((e) => e.type === 'chaos' && e.kind === kind && e.action === action)!.t;
    const lostSet = (from: number, to: number) => new Set(events.filter((e) => e.type === 'lost' && e.t >= from && e.t < to).map((e) => (e as { device: number }).device));
    const lostIn = (from: number, to: number) => lostSet(from, to).size;
    const onlineAt = (t: number): Set<number> => {
      const online = new Set<number>();
      for (const e of events) {
        if (e.t >= t) break;
        if (e.type === 'online') online.add(e.device);
        if (e.type === 'lost') online.delete(e.device);
      }
      return online;
    };
    // Every device online when the toxic went in lost its connection before
    // the next fault (Toxiproxy closes open links and resets new ones).
    const networkAt = chaosAt('network', 'inject');
    const killAt = chaosAt('kill', 'inject');
    const onlineAtNetwork = onlineAt(networkAt);
    expect(onlineAtNetwork.size).toBeGreaterThan(devices * 0.9);
    const lostByNetwork = lostSet(networkAt, killAt);
    expect([...onlineAtNetwork].filter((device) => !lostByNetwork.has(device))).toEqual([]);
    expect(lostIn(networkAt, chaosAt('network', 'undo'))).toBeGreaterThan(0);
    // Every device online when the kill hook ran is lost (some were still backing off after the network fault).
    const online = onlineAt(killAt);
    expect(online.size).toBeGreaterThan(0);
    const lostAtKill = lostSet(killAt, chaosAt('kill', 'undo'));
    expect([...online].filter((device) => !lostAtKill.has(device))).toEqual([]);
    expect(readFileSync(join(dir, 'outside.log'), 'utf8').match(/^listening on \d+$/gm)).toHaveLength(2);
  });
});
