// The `network` chaos kind end to end: a WebSocket echo backend behind a
// proxy from startProxyFor, a real ws client through the proxy, the
// injector driving Toxiproxy (embedded, or TOXIPROXY_URL) and a real chaos
// watchdog guarding each undo.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { InjectorContext } from '../../chaos/injector.ts';
import { networkInjector, toxicAttributes } from '../../chaos/network-injector.ts';
import { startProxyFor, type StartedTargetProxy } from '../../chaos/toxiproxy/proxy-for-target.ts';
import { ChaosWatchdog } from '../../chaos/watchdog/chaos-watchdog.ts';
import { performUndo } from '../../chaos/watchdog/perform-undo.ts';
import type { ChaosEventOf } from '../../scenarios/schema/chaos-schema.ts';
import { uniqueName, within } from './toxiproxy-fixtures.ts';

type NetworkEvent = ChaosEventOf<'network'>;

let backend: WebSocketServer | undefined;
let proxy: StartedTargetProxy | undefined;
let watchdog: ChaosWatchdog | undefined;
const sockets = new Set<WebSocket>();

afterEach(async () => {
  for (const socket of sockets) socket.terminate();
  sockets.clear();
  await proxy?.stop();
  await watchdog?.close();
  if (backend) {
    for (const client of backend.clients) client.terminate();
    await new Promise<void>((resolve) => backend!.close(() => resolve()));
  }
  backend = proxy = watchdog = undefined;
});

/** A ws echo backend, a proxy in front of it, a watchdog, and an injector context around them. */
async function setUp(timeScale = 1): Promise<{ context: InjectorContext; url: string; notes: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-network-'));
  backend = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  backend.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
  await new Promise<void>((resolve) => backend!.once('listening', resolve));
  const backendPort = (backend.address() as { port: number }).port;
  proxy = await startProxyFor({ host: '127.0.0.1', port: backendPort }, { runDir: dir, name: uniqueName('aftershock_ws') });
  watchdog = await ChaosWatchdog.start(dir);
  const url = `ws://${proxy.listenHost}:${proxy.listenPort}`;
  const notes: string[] = [];
  const context: InjectorContext = {
    target: { endpoints: { wsBaseUrl: url, httpBaseUrl: url.replace('ws:', 'http:') }, stop: async () => {} },
    timeScale,
    runDir: dir,
    watchdog,
    proxy: { apiUrl: proxy.apiUrl, name: proxy.name },
    note: (detail) => notes.push(detail),
  };
  return { context, url, notes };
}

/** Opens a ws connection; rejects with the connect error (e.g. ECONNREFUSED). */
function openSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  sockets.add(socket);
  socket.on('error', () => {});
  return within(
    new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    }),
    3000,
    `ws open ${url}`,
  );
}

/** Echo round trip in ms; rejects if no echo comes within `timeoutMs`. */
function echoMs(socket: WebSocket, timeoutMs = 3000): Promise<number> {
  const startMs = performance.now();
  const echoed = new Promise<number>((resolve) => socket.once('message', () => resolve(performance.now() - startMs)));
  socket.send('ping');
  return within(echoed, timeoutMs, 'echo');
}

function closedCode(socket: WebSocket): Promise<number> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve(1006);
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

const at = { at: 0, for: 60_000 };
const event = (toxic: NetworkEvent['toxic'], extra: Partial<NetworkEvent> = {}): NetworkEvent => ({
  kind: 'network',
  ...at,
  toxic,
  stream: 'downstream',
  toxicity: 1,
  ...extra,
});

describe('network injector', () => {
  test('down: open sockets are closed and new ones refused; undo lets clients reconnect', async () => {
    const { context, url } = await setUp();
    const open = await openSocket(url);
    expect(await echoMs(open)).toBeLessThan(500);
    const injector = networkInjector(event({ type: 'down' }), context);
    expect(injector.describe()).toMatch(/proxy down .*enabled again on undo/);

    await injector.inject();
    // An abrupt end with no close frame: 1006.
    expect(await within(closedCode(open), 2000, 'close of the open socket')).toBe(1006);
    await expect(openSocket(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(context.watchdog.guarded).toEqual([{ kind: 'http', method: 'POST', url: `${proxy!.apiUrl}/proxies/${proxy!.name}`, body: '{"enabled":true}' }]);

    await injector.undo();
    expect(context.watchdog.guarded).toEqual([]);
    expect(await echoMs(await openSocket(url))).toBeLessThan(500);
    // Idempotent.
    await injector.undo();
  });

  test('latency: echoes are late by the real-time latency while injected, on time after undo', async () => {
    // Time scale 10: 3000 ms of scenario latency is 300 ms of real time.
    const { context, url } = await setUp(10);
    const socket = await openSocket(url);
    const injector = networkInjector(event({ type: 'latency', latencyMs: 3000, jitterMs: 0 }), context);
    expect(injector.describe()).toContain('latency 3000 ms on the downstream stream of 100% of connections (real time: {"latency":300,"jitter":0})');

    await injector.inject();
    expect(context.watchdog.guarded).toEqual([
      { kind: 'http', method: 'DELETE', url: `${proxy!.apiUrl}/proxies/${proxy!.name}/toxics/aftershock_latency_downstream_at0ms` },
    ]);
    expect(await echoMs(socket)).toBeGreaterThanOrEqual(300);

    await injector.undo();
    expect(context.watchdog.guarded).toEqual([]);
    expect(await echoMs(socket)).toBeLessThan(300);
  });

  test('timeout 0 (partition): no echo while injected; undo closes the stalled socket and a new one works', async () => {
    const { context, url } = await setUp();
    const socket = await openSocket(url);
    const closed = closedCode(socket);
    const injector = networkInjector(event({ type: 'timeout', timeoutMs: 0 }), context);
    await injector.inject();
    await expect(echoMs(socket, 400)).rejects.toThrow('echo: not within 400 ms');

    await injector.undo();
    expect(await within(closed, 2000, 'close of the stalled socket')).toBe(1006);
    expect(await echoMs(await openSocket(url))).toBeLessThan(500);
  });

  test('the guarded undo action alone lifts the fault, as the watchdog would if the harness died', async () => {
    const { context, url } = await setUp();
    const down = networkInjector(event({ type: 'down' }), context);
    await down.inject();
    await expect(openSocket(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const [enable] = context.watchdog.guarded;
    expect(await performUndo(enable)).toMatch(/: 200$/);
    expect(await echoMs(await openSocket(url))).toBeLessThan(500);
    await down.undo();

    const reset = networkInjector(event({ type: 'reset_peer', timeoutMs: 0 }), context);
    await reset.inject();
    const [removeToxic] = context.watchdog.guarded;
    expect(await performUndo(removeToxic)).toMatch(/: 204$/);
    // Already gone: undo still succeeds and releases the guard.
    await reset.undo();
    expect(context.watchdog.guarded).toEqual([]);
    expect(await echoMs(await openSocket(url))).toBeLessThan(500);
  });

  test('undo before inject does nothing; a run without a proxy is refused with what to do', async () => {
    const { context } = await setUp();
    await networkInjector(event({ type: 'down' }), context).undo();
    expect(context.watchdog.guarded).toEqual([]);
    expect(() => networkInjector(event({ type: 'down' }), { ...context, proxy: undefined })).toThrow(/chaos "network" needs a Toxiproxy proxy in front of the target.*startProxyFor/);
  });

  test('an unreachable Toxiproxy fails inject with a message naming it', async () => {
    const { context } = await setUp();
    const injector = networkInjector(event({ type: 'latency', latencyMs: 100, jitterMs: 0 }), {
      ...context,
      proxy: { apiUrl: 'http://127.0.0.1:1', name: 'nowhere' },
    });
    await expect(injector.inject()).rejects.toThrow(/could not add the latency toxic on Toxiproxy proxy "nowhere" at http:\/\/127\.0\.0\.1:1: .*check that the Toxiproxy server is up/);
    // Its undo stays guarded (the watchdog tries it again at the end) and reports the same server.
    expect(context.watchdog.guarded).toHaveLength(1);
    await expect(injector.undo()).rejects.toThrow(/could not remove the latency toxic/);
    expect(context.watchdog.guarded).toHaveLength(1);
  });
});

describe('toxicAttributes', () => {
  test('maps the schema to Toxiproxy attributes, durations divided and rates multiplied by the time scale', () => {
    expect(toxicAttributes({ type: 'latency', latencyMs: 2000, jitterMs: 1000 }, 20)).toEqual({ latency: 100, jitter: 50 });
    expect(toxicAttributes({ type: 'bandwidth', rateKBps: 16 }, 20)).toEqual({ rate: 320 });
    expect(toxicAttributes({ type: 'slow_close', delayMs: 600 }, 60)).toEqual({ delay: 10 });
    expect(toxicAttributes({ type: 'timeout', timeoutMs: 10 }, 60)).toEqual({ timeout: 1 });
    expect(toxicAttributes({ type: 'timeout', timeoutMs: 0 }, 60)).toEqual({ timeout: 0 });
    expect(toxicAttributes({ type: 'reset_peer', timeoutMs: 500 }, 1)).toEqual({ timeout: 500 });
    expect(toxicAttributes({ type: 'slicer', averageSize: 64, sizeVariation: 8, delayUs: 6000 }, 60)).toEqual({ average_size: 64, size_variation: 8, delay: 100 });
    expect(toxicAttributes({ type: 'limit_data', bytes: 4096 }, 60)).toEqual({ bytes: 4096 });
  });
});
