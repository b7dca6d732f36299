// The reference backend as a real process: ready line, protocol, API,
// durability across SIGKILL, admission and heartbeats. Real sockets on
// 127.0.0.1 and real time; tolerances are stated where timing matters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { killAllBackends, runBackendToExit, spawnBackend } from './backend-process.ts';
import { connectAndHello, connectDevice, refusedUpgrade, terminateAllDevices } from './device-client.ts';

let dir: string;
let db: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aftershock-backend-test-'));
  db = join(dir, 'backend.sqlite');
});

afterEach(async () => {
  terminateAllDevices();
  await killAllBackends();
  rmSync(dir, { recursive: true, force: true });
});

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

function put(baseUrl: string, deviceId: string, body: unknown): Promise<Response> {
  return fetch(`${baseUrl}/devices/${deviceId}/content`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('process lifecycle', () => {
  test('prints exactly one ready line, serves /healthz and /metrics, exits 0 on SIGTERM', async () => {
    const backend = await spawnBackend(['--db', db]);
    expect(backend.ready).toEqual({ event: 'ready', pid: backend.child.pid, host: '127.0.0.1', port: expect.any(Number) });
    expect(backend.ready.port).toBeGreaterThan(0);

    const health = await fetch(`${backend.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await json(health)).toEqual({ status: 'ok', pid: backend.ready.pid, devicesOnline: 0 });

    const { device } = await connectAndHello(backend.devicesUrl, 'd-000001');
    const metrics = await json(await fetch(`${backend.baseUrl}/metrics`));
    expect(Object.keys(metrics).sort()).toEqual(
      [
        'pid', 'devicesOnline', 'handshakesTotal', 'handshakesRejected', 'cpuUserUs', 'cpuSystemUs',
        'rssBytes', 'heapUsedBytes', 'eventLoopDelayP99Ms', 'eventLoopDelayMaxMs',
      ].sort(),
    );
    expect(metrics).toMatchObject({ pid: backend.ready.pid, devicesOnline: 1, handshakesTotal: 1, handshakesRejected: 0 });
    expect(metrics.cpuUserUs).toBeGreaterThan(0);
    expect(metrics.rssBytes).toBeGreaterThan(metrics.heapUsedBytes as number);

    const unknown = await fetch(`${backend.baseUrl}/nope`);
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual({ error: 'no route for GET /nope' });

    const exit = await backend.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    // The device's socket was dropped, not left hanging.
    expect((await device.closed).code).toBe(1006);
    expect(backend.stdoutLines).toHaveLength(1);
  });

  test('--listen-at: the ready line and the listener wait for the wall-clock time, not before', async () => {
    const listenAt = Date.now() + 2000;
    const backend = await spawnBackend(['--db', db, '--listen-at', String(listenAt)]);
    // Ready means listening, so nothing could connect before listenAt.
    expect(Date.now()).toBeGreaterThanOrEqual(listenAt);
    expect((await fetch(`${backend.baseUrl}/healthz`)).status).toBe(200);
    // A time already past: it listens at once.
    await backend.stop();
    const late = await spawnBackend(['--db', db, '--listen-at', String(Date.now() - 60_000)]);
    expect((await fetch(`${late.baseUrl}/healthz`)).status).toBe(200);
  });

  test('a bad flag exits 2 with one line on stderr naming the flag', async () => {
    const result = await runBackendToExit(['--db', db, '--heartbeat-interval-ms', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'aftershock-backend: --heartbeat-interval-ms must be a non-negative integer, got "soon"; see --help\n',
    );

    const unknown = await runBackendToExit(['--db', db, '--prot', '8080']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^aftershock-backend: unknown flag --prot; valid flags: --host --port /);

    const remote = await runBackendToExit(['--db', db], { AFTERSHOCK_BACKEND_HOST: '0.0.0.0' });
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('--host 0.0.0.0 is not a loopback address; pass --allow-remote');
  });
});

describe('device protocol', () => {
  test('hello gets a welcome with null content, then pushed content is acked and visible in GET', async () => {
    const backend = await spawnBackend(['--db', db]);
    const { device, welcome } = await connectAndHello(backend.devicesUrl, 'd-000001');
    expect(welcome).toEqual({ type: 'welcome', deviceId: 'd-000001', content: null });

    const answer = await put(backend.baseUrl, 'd-000001', { url: 'https://cdn.example/a.mp4' });
    expect(answer.status).toBe(200);
    expect(await json(answer)).toEqual({ deviceId: 'd-000001', version: 1, url: 'https://cdn.example/a.mp4' });
    expect(await device.next()).toEqual({ type: 'assign', deviceId: 'd-000001', version: 1, url: 'https://cdn.example/a.mp4' });

    const beforeAck = await json(await fetch(`${backend.baseUrl}/devices/d-000001`));
    expect(beforeAck).toEqual({
      deviceId: 'd-000001',
      content: { version: 1, url: 'https://cdn.example/a.mp4' },
      online: true,
      ackedVersion: null,
    });

    device.send({ type: 'ack', version: 1 });
    // The ack is processed asynchronously; poll briefly (bound: 2000 ms).
    let acked: unknown = null;
    for (const started = Date.now(); acked === null && Date.now() - started < 2000; ) {
      acked = (await json(await fetch(`${backend.baseUrl}/devices/d-000001`))).ackedVersion;
    }
    expect(acked).toBe(1);

    // A reconnecting device gets its content in the welcome.
    device.socket.close();
    await device.closed;
    const again = await connectAndHello(backend.devicesUrl, 'd-000001');
    expect(again.welcome).toEqual({
      type: 'welcome',
      deviceId: 'd-000001',
      content: { version: 1, url: 'https://cdn.example/a.mp4' },
    });
  });

  test('a malformed hello gets a bad-hello error and close code 4001', async () => {
    const backend = await spawnBackend(['--db', db]);
    const device = await connectDevice(backend.devicesUrl);
    device.send({ type: 'hello', deviceId: 'has space', token: 't' });
    const error = await device.next();
    expect(error).toMatchObject({ type: 'error', code: 'bad-hello' });
    expect(error.message).toContain('hello.deviceId must match');
    expect((await device.closed).code).toBe(4001);

    const notHello = await connectDevice(backend.devicesUrl);
    notHello.send({ type: 'ack', version: 1 });
    expect(await notHello.next()).toMatchObject({ type: 'error', code: 'bad-hello' });
    expect((await notHello.closed).code).toBe(4001);
  });
});

describe('HTTP API', () => {
  test('PUT stores increasing versions, GET reads them, bad bodies get 400 and unknown devices 404', async () => {
    const backend = await spawnBackend(['--db', db]);
    expect((await json(await put(backend.baseUrl, 'd-1', { url: 'u1' }))).version).toBe(1);
    expect((await json(await put(backend.baseUrl, 'd-1', { url: 'u2' }))).version).toBe(2);
    expect(await json(await fetch(`${backend.baseUrl}/devices/d-1`))).toEqual({
      deviceId: 'd-1',
      content: { version: 2, url: 'u2' },
      online: false,
      ackedVersion: null,
    });

    for (const bad of ['{"url":""}', '{"url":3}', '{}', 'not json', '[]']) {
      const response = await put(backend.baseUrl, 'd-1', bad);
      expect(response.status, bad).toBe(400);
      expect(typeof (await json(response)).error, bad).toBe('string');
    }
    const missing = await fetch(`${backend.baseUrl}/devices/d-never`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ error: 'device d-never has never connected and has no content' });
  });

  test('every acknowledged PUT survives SIGKILL and a restart on the same db file', async () => {
    const first = await spawnBackend(['--db', db]);
    const expected = new Map<string, { version: number; url: string }>();
    // Concurrent PUTs, several per device, so versions race through one process.
    const answers = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const deviceId = `d-${i % 6}`;
        const response = await put(first.baseUrl, deviceId, { url: `https://cdn.example/${i}` });
        expect(response.status).toBe(200);
        return (await json(response)) as { deviceId: string; version: number; url: string };
      }),
    );
    for (const answer of answers) {
      const known = expected.get(answer.deviceId);
      if (known === undefined || answer.version > known.version) expected.set(answer.deviceId, answer);
    }
    expect([...expected.values()].map((c) => c.version).sort()).toEqual([5, 5, 5, 5, 5, 5]);
    expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await spawnBackend(['--db', db]);
    for (const [deviceId, content] of expected) {
      const device = await json(await fetch(`${second.baseUrl}/devices/${deviceId}`));
      expect(device.content).toEqual({ version: content.version, url: content.url });
    }
  });

  test('--unsafe-ack-before-write really loses acknowledged PUTs on SIGKILL', async () => {
    const first = await spawnBackend(['--db', db, '--unsafe-ack-before-write']);
    const response = await put(first.baseUrl, 'd-unsafe', { url: 'gone' });
    // The write is due 50 ms after the answer: kill as soon as the status
    // line is in, before even reading the body, to stay well inside that window.
    first.child.kill('SIGKILL');
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ deviceId: 'd-unsafe', version: 1, url: 'gone' });
    await first.exited;

    const second = await spawnBackend(['--db', db]);
    expect((await fetch(`${second.baseUrl}/devices/d-unsafe`)).status).toBe(404);
  });
});

describe('admission', () => {
  test('--hold-closed answers 503 until POST /admin/open, and again after POST /admin/close', async () => {
    const backend = await spawnBackend(['--db', db, '--hold-closed']);
    expect((await fetch(`${backend.baseUrl}/healthz`)).status).toBe(200);
    const refused = await refusedUpgrade(backend.devicesUrl);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ error: 'backend is held closed' });

    const opened = await fetch(`${backend.baseUrl}/admin/open`, { method: 'POST' });
    expect(opened.status).toBe(200);
    const { welcome } = await connectAndHello(backend.devicesUrl, 'd-1');
    expect(welcome.type).toBe('welcome');

    expect((await fetch(`${backend.baseUrl}/admin/close`, { method: 'POST' })).status).toBe(200);
    expect((await refusedUpgrade(backend.devicesUrl)).status).toBe(503);
    const metrics = await json(await fetch(`${backend.baseUrl}/metrics`));
    expect(metrics).toMatchObject({ handshakesTotal: 1, handshakesRejected: 2, devicesOnline: 1 });
  });
});

describe('heartbeat', () => {
  const intervalMs = 100;

  test('pings every interval; a device that never pongs is terminated within about 2 intervals', async () => {
    const backend = await spawnBackend(['--db', db, '--heartbeat-interval-ms', String(intervalMs)]);
    const healthy = (await connectAndHello(backend.devicesUrl, 'd-healthy')).device;
    const silent = (await connectAndHello(backend.devicesUrl, 'd-silent', { autoPong: false })).device;
    const connectedAtMs = performance.now();

    const closed = await silent.closed;
    // First ping within 1 interval of connecting, termination at the next
    // sweep: 2 intervals, plus 200 ms for timers on a loaded 2-core CI machine.
    expect(closed.code).toBe(1006);
    expect(closed.atMs - connectedAtMs).toBeLessThan(2 * intervalMs + 200);
    expect(silent.pings()).toBeGreaterThanOrEqual(1);

    await new Promise((resolve) => setTimeout(resolve, 5 * intervalMs));
    // The answering device is still online and keeps receiving pings
    // (about 7 by now; at least 4 leaves room for timer jitter).
    expect(healthy.socket.readyState).toBe(healthy.socket.OPEN);
    expect(healthy.pings()).toBeGreaterThanOrEqual(4);
    const state = await json(await fetch(`${backend.baseUrl}/devices/d-silent`));
    expect(state.online).toBe(false);
    expect((await json(await fetch(`${backend.baseUrl}/healthz`))).devicesOnline).toBe(1);
  });
});
