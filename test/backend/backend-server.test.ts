// startBackend in this process: connection replacement, hello deadline,
// admission limit and the edges of the HTTP API. Real sockets on 127.0.0.1.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { BackendOptionsError } from '../../simulators/backend/backend-options.ts';
import { startBackend, type BackendHandle } from '../../simulators/backend/backend-server.ts';
import type { BackendOptionsInput } from '../../simulators/backend/backend-options.ts';
import { connectAndHello, connectDevice, refusedUpgrade, terminateAllDevices } from './device-client.ts';

let dir: string;
let backend: BackendHandle | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aftershock-backend-test-'));
});

afterEach(async () => {
  terminateAllDevices();
  await backend?.stop();
  backend = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function start(options: BackendOptionsInput = {}): Promise<{ baseUrl: string; devicesUrl: string }> {
  backend = await startBackend({ dbPath: join(dir, 'backend.sqlite'), ...options });
  return { baseUrl: `http://127.0.0.1:${backend.port}`, devicesUrl: `ws://127.0.0.1:${backend.port}/devices` };
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('a second connection with the same deviceId replaces the first, which is closed with 4009', async () => {
  const { baseUrl, devicesUrl } = await start();
  const first = await connectAndHello(devicesUrl, 'd-twin');
  const second = await connectAndHello(devicesUrl, 'd-twin');
  expect(second.welcome).toEqual({ type: 'welcome', deviceId: 'd-twin', content: null });
  expect((await first.device.closed).code).toBe(4009);

  // The old socket's close must not take the new one offline.
  expect((await getJson(`${baseUrl}/devices/d-twin`)).body.online).toBe(true);
  expect((await getJson(`${baseUrl}/healthz`)).body.devicesOnline).toBe(1);
  await fetch(`${baseUrl}/devices/d-twin/content`, { method: 'PUT', body: '{"url":"x"}' });
  expect(await second.device.next()).toEqual({ type: 'assign', deviceId: 'd-twin', version: 1, url: 'x' });
});

test('a connection that sends no hello is closed with 4008 after the hello timeout', async () => {
  const helloTimeoutMs = 200;
  const { devicesUrl } = await start({ helloTimeoutMs });
  const startedMs = performance.now();
  const device = await connectDevice(devicesUrl);
  const closed = await device.closed;
  expect(closed.code).toBe(4008);
  // Checked by the sweep every helloTimeoutMs / 4 = 50 ms; allow 150 ms more for timers.
  expect(closed.atMs - startedMs).toBeGreaterThanOrEqual(helloTimeoutMs - 5);
  expect(closed.atMs - startedMs).toBeLessThan(helloTimeoutMs + 50 + 150);
});

test('--max-handshakes-in-flight answers 503 beyond the limit and frees a slot when a hello completes', async () => {
  const { baseUrl, devicesUrl } = await start({ maxHandshakesInFlight: 2 });
  const a = await connectDevice(devicesUrl);
  await connectDevice(devicesUrl);
  const refused = await refusedUpgrade(devicesUrl);
  expect(refused.status).toBe(503);
  expect(JSON.parse(refused.body).error).toBe(
    'handshakes in flight at the limit of 2 (--max-handshakes-in-flight); retry later',
  );

  a.send({ type: 'hello', deviceId: 'd-a', token: 't' });
  expect((await a.next()).type).toBe('welcome');
  const { welcome } = await connectAndHello(devicesUrl, 'd-c');
  expect(welcome.type).toBe('welcome');
  expect((await getJson(`${baseUrl}/metrics`)).body).toMatchObject({ handshakesTotal: 2, handshakesRejected: 1 });
});

test('an upgrade on another path gets 404', async () => {
  const { devicesUrl } = await start();
  const refused = await refusedUpgrade(devicesUrl.replace('/devices', '/elsewhere'));
  expect(refused.status).toBe(404);
  expect(JSON.parse(refused.body).error).toBe('no WebSocket endpoint at /elsewhere; devices connect to /devices');
});

test('the HTTP API refuses oversized bodies, wrong methods and invalid device ids', async () => {
  const { baseUrl } = await start();
  const big = JSON.stringify({ url: 'x'.repeat(17 * 1024) });
  const tooLarge = await getJson(`${baseUrl}/devices/d-1/content`, { method: 'PUT', body: big });
  expect(tooLarge.status).toBe(413);
  expect(tooLarge.body.error).toBe(`body is larger than the limit of 16384 bytes (seen at least ${big.length})`);

  // A body that is streamed without Content-Length is cut off at the limit too.
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = request(`${baseUrl}/devices/d-1/content`, { method: 'PUT' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let i = 0; i < 20; i += 1) req.write('x'.repeat(1024));
    req.end();
  });
  expect(chunked).toBe(413);

  const wrongMethod = await getJson(`${baseUrl}/devices/d-1/content`, { method: 'POST', body: '{}' });
  expect(wrongMethod).toEqual({ status: 405, body: { error: 'method POST not allowed here; use PUT' } });
  const badId = await getJson(`${baseUrl}/devices/a%20b`);
  expect(badId.status).toBe(400);
  expect(badId.body.error).toBe('device id must match ^[A-Za-z0-9._:-]{1,128}$, got "a b"');

  // A 16 KiB body is still accepted: the limit is inclusive.
  const url = 'y'.repeat(16 * 1024 - '{"url":""}'.length);
  const atLimit = await getJson(`${baseUrl}/devices/d-1/content`, { method: 'PUT', body: JSON.stringify({ url }) });
  expect(atLimit.status).toBe(200);
});

test('bad options are rejected before anything starts, listing every problem', async () => {
  await expect(startBackend({ dbPath: ':memory:', port: 70_000, host: '192.0.2.1' })).rejects.toThrow(BackendOptionsError);
  await expect(startBackend({ dbPath: ':memory:', port: 70_000, host: '192.0.2.1' })).rejects.toThrow(
    '--host 192.0.2.1 is not a loopback address; pass --allow-remote to listen on it anyway; ' +
      '--port must be an integer from 0 to 65535, got 70000; ' +
      '--db must name a file, got ":memory:": assignments must survive a restart',
  );
});

test('a port in use is reported with the address and nothing is left running', async () => {
  await start();
  const port = backend!.port;
  await expect(startBackend({ dbPath: join(dir, 'other.sqlite'), port })).rejects.toThrow(
    `cannot listen on 127.0.0.1:${port}: EADDRINUSE; pick another --port or --host`,
  );
});

test('with the heartbeat spread over several sweep buckets, every silent device is still dropped within 2 intervals', async () => {
  // hello timeout 400 ms -> sweep every 100 ms -> 4 buckets of the 400 ms heartbeat.
  const heartbeatIntervalMs = 400;
  const { baseUrl, devicesUrl } = await start({ heartbeatIntervalMs, helloTimeoutMs: 400 });
  const startedMs = performance.now();
  const silent = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => (await connectAndHello(devicesUrl, `d-${i}`, { autoPong: false })).device),
  );
  const healthy = (await connectAndHello(devicesUrl, 'd-healthy')).device;
  const closes = await Promise.all(silent.map((device) => device.closed));
  for (const close of closes) {
    expect(close.code).toBe(1006);
    // Tolerance: 150 ms for timers on a loaded machine.
    expect(close.atMs - startedMs).toBeLessThan(2 * heartbeatIntervalMs + 150);
  }
  expect(silent.map((device) => device.pings())).toEqual([1, 1, 1, 1, 1, 1]);
  expect(healthy.socket.readyState).toBe(healthy.socket.OPEN);
  expect((await getJson(`${baseUrl}/healthz`)).body.devicesOnline).toBe(1);
});
