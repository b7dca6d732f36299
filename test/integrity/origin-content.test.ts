import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { freePort } from '../../scenarios/targets/reference-target.ts';
import { HttpContentFetcher, type ContentFetcher } from '../../simulators/devices/content-fetcher.ts';
import { Fleet } from '../../simulators/devices/fleet.ts';
import type { FleetEvent } from '../../simulators/devices/fleet-events.ts';
import { createPolicy } from '../../simulators/devices/policy/index.ts';
import { startOrigin } from '../../simulators/origin/origin-server.ts';
import { spawnBackend } from '../backend/backend-process.ts';

// Real time: the device retries every 100 ms while the backend is away.
const policy = createPolicy({ kind: 'constant', delayMs: 100 });

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('content comes from the origin, not the backend', () => {
  const closers: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  test('a device powered on during an outage shows the content assigned while it was off, from the origin', async () => {
    const origin = await startOrigin();
    closers.push(() => origin.stop());
    const port = await freePort();
    const db = join(mkdtempSync(join(tmpdir(), 'aftershock-origin-')), 'backend.db');
    const args = ['--db', db, '--port', String(port), '--origin-url', origin.url, '--heartbeat-interval-ms', '200'];
    const backend = await spawnBackend(args);
    closers.push(() => backend.kill());

    // The device has never connected; content is assigned to it while it is off.
    const url = `${origin.url}/content/d-000001/1`;
    const put = await fetch(`${backend.baseUrl}/devices/d-000001/content`, { method: 'PUT', body: JSON.stringify({ url }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ version: 1, url });
    // The outage: a hard kill.
    await backend.kill();

    const events: FleetEvent[] = [];
    const fetcher = new HttpContentFetcher(origin.url, { timeoutMs: 2000 });
    closers.push(() => fetcher.close());
    const fleet = new Fleet({
      devices: 1,
      baseUrl: `ws://127.0.0.1:${port}`,
      policy,
      seed: 'origin',
      timeScale: 1,
      rampUpMs: 0,
      connectTimeoutMs: 1000,
      handshakeTimeoutMs: 1000,
      heartbeatTimeoutMs: 2000,
      origin: fetcher,
      onEvent: (event) => events.push(event),
    });
    closers.push(() => fleet.stop());
    fleet.start();

    await until('the device shows content', () => events.some((e) => e.type === 'showing'));
    expect(events.filter((e) => e.type === 'showing')).toEqual([{ type: 'showing', t: expect.any(Number), device: 0, version: 1 }]);
    // ...while the backend refuses it: no connection was ever made.
    await until('a second refused attempt', () => events.filter((e) => e.type === 'failure').length >= 2);
    expect(events.filter((e) => e.type === 'failure').every((e) => e.type === 'failure' && e.cause === 'refused')).toBe(true);
    expect(events.some((e) => e.type === 'online')).toBe(false);
    expect(origin.stats()).toMatchObject({ manifests: 1, manifestGets: 1, contentGets: 1 });

    // The backend comes back: the device learns the same version and fetches nothing again.
    const again = await spawnBackend(args);
    closers.push(() => again.kill());
    await until('the device is online', () => events.some((e) => e.type === 'online'));
    await until('the device reports its content', () => events.some((e) => e.type === 'content'));
    expect(events.filter((e) => e.type === 'content').map((e) => (e as { version: number }).version)).toEqual([1]);
    expect(events.filter((e) => e.type === 'showing')).toHaveLength(1);
    expect(origin.stats().contentGets).toBe(1);

    // A change needs the backend: the device shows version 2 once it is pushed.
    const url2 = `${origin.url}/content/d-000001/2`;
    expect((await fetch(`${again.baseUrl}/devices/d-000001/content`, { method: 'PUT', body: JSON.stringify({ url: url2 }) })).status).toBe(200);
    await until('version 2 on screen', () => events.some((e) => e.type === 'showing' && e.version === 2));
    expect(await (await fetch(`${origin.url}/manifests/d-000001`)).json()).toEqual({ deviceId: 'd-000001', version: 2, url: url2 });
  });

  test('an origin that cannot be reached is counted, not thrown: the device still comes online', async () => {
    const deadOrigin = `http://127.0.0.1:${await freePort()}`;
    const port = await freePort();
    const db = join(mkdtempSync(join(tmpdir(), 'aftershock-origin-')), 'backend.db');
    const backend = await spawnBackend(['--db', db, '--port', String(port), '--origin-url', deadOrigin]);
    closers.push(() => backend.kill());
    // The PUT still succeeds: the write is durable; the failed publish is logged.
    const put = await fetch(`${backend.baseUrl}/devices/d-000001/content`, { method: 'PUT', body: JSON.stringify({ url: `${deadOrigin}/content/x` }) });
    expect(put.status).toBe(200);
    await until('the publish failure is logged', () => /publishing to the origin .* failed 1 time\(s\).*ECONNREFUSED/.test(backend.stderr()));

    const events: FleetEvent[] = [];
    const fetcher = new HttpContentFetcher(deadOrigin, { timeoutMs: 1000 });
    closers.push(() => fetcher.close());
    const fleet = new Fleet({
      devices: 1,
      baseUrl: `ws://127.0.0.1:${port}`,
      policy,
      seed: 'origin',
      timeScale: 1,
      rampUpMs: 0,
      connectTimeoutMs: 1000,
      handshakeTimeoutMs: 1000,
      heartbeatTimeoutMs: 2000,
      origin: fetcher,
      onEvent: (event) => events.push(event),
    });
    closers.push(() => fleet.stop());
    fleet.start();
    await until('content reported and both fetches failed', () => events.some((e) => e.type === 'content') && events.filter((e) => e.type === 'content-fetch-failed').length === 2);
    expect(events.filter((e) => e.type === 'content-fetch-failed').map((e) => e.type === 'content-fetch-failed' && `${e.what}:${e.cause}`).sort()).toEqual(['content:refused', 'manifest:refused']);
    expect(events.some((e) => e.type === 'online')).toBe(true);
    expect(events.some((e) => e.type === 'showing')).toBe(false);
  });

  test('a failed fetch is tried again after 5 s, 10 s, ... of scenario time until the content is on screen', async () => {
    let manifestCalls = 0;
    const flaky: ContentFetcher = {
      manifest: async () => (++manifestCalls <= 2 ? { ok: false, cause: 'timeout' } : { ok: true, value: { version: 3, url: 'http://origin/content/x' } }),
      content: async () => ({ ok: true, value: undefined }),
      close: () => undefined,
    };
    const events: FleetEvent[] = [];
    // No backend at all: the device keeps failing to connect, and shows its content anyway.
    const fleet = new Fleet({
      devices: 1,
      baseUrl: `ws://127.0.0.1:${await freePort()}`,
      policy,
      seed: 'origin',
      timeScale: 50,
      rampUpMs: 0,
      connectTimeoutMs: 10_000,
      handshakeTimeoutMs: 10_000,
      heartbeatTimeoutMs: 20_000,
      origin: flaky,
      onEvent: (event) => events.push(event),
    });
    closers.push(() => fleet.stop());
    const started = performance.now();
    fleet.start();
    await until('content on screen', () => events.some((e) => e.type === 'showing'));
    // Retries after 5 s and 10 s of scenario time: 300 ms of real time at scale 50 (tolerance: 400 ms).
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(performance.now() - started).toBeLessThan(700);
    expect(manifestCalls).toBe(3);
    expect(events.filter((e) => e.type === 'content-fetch-failed')).toHaveLength(2);
    expect(events.find((e) => e.type === 'showing')).toMatchObject({ version: 3 });
  });
});
