// Each toxic's effect measured on a real TCP connection through the proxy to
// a small upstream on 127.0.0.1, and that removing the toxic restores the
// connection. Driven only through toxiproxy-node-client, so with
// TOXIPROXY_URL set the same calls run against a real Toxiproxy.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { Proxy } from 'toxiproxy-node-client';
import {
  after,
  destroyClients,
  listenPort,
  openClient,
  patternBytes,
  startEchoServer,
  startToxiproxyUnderTest,
  startUpstream,
  within,
  type TestUpstream,
  type ToxiproxyUnderTest,
} from './toxiproxy-fixtures.ts';

let toxiproxy: ToxiproxyUnderTest | undefined;
let upstream: TestUpstream | undefined;

afterEach(async () => {
  destroyClients();
  await toxiproxy?.stop();
  await upstream?.stop();
  toxiproxy = upstream = undefined;
});

/** A Toxiproxy with one proxy in front of `start()`'s upstream. */
async function proxyTo(start: () => Promise<TestUpstream>): Promise<{ proxy: Proxy; port: number }> {
  upstream = await start();
  toxiproxy = await startToxiproxyUnderTest();
  const proxy = await toxiproxy.createProxy(upstream.port);
  return { proxy, port: listenPort(proxy) };
}

/** Upstream that writes `bytes` to each client as soon as it connects (downstream traffic). */
const sender = (bytes: Buffer, thenClose = false) => (): Promise<TestUpstream> =>
  startUpstream((socket: Socket) => {
    socket.write(bytes);
    if (thenClose) socket.end();
  });

/**
 * The latency the latency tests add, in ms. The machine may be loaded, so an
 * unaffected round trip is asserted to be shorter than this, not short.
 */
const lagMs = 250;

/** Round trip of one small message on an open echo connection, in ms. */
async function roundTrip(client: Awaited<ReturnType<typeof openClient>>, timeoutMs = 2000): Promise<number> {
  const before = client.received().length;
  const startMs = performance.now();
  client.socket.write('ping');
  return (await client.waitForBytes(before + 4, timeoutMs)) - startMs;
}

describe('toxics on a real connection', () => {
  test('latency delays each chunk by at least `latency` ms, on open connections too, until removed', async () => {
    const { proxy, port } = await proxyTo(startEchoServer);
    const client = await openClient(port);
    expect(await roundTrip(client)).toBeLessThan(lagMs);

    const toxic = await proxy.addToxic({ name: 'lag', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: lagMs, jitter: 0 } });
    // Never less than the latency; up to 200 ms more on a loaded machine.
    const delayed = await roundTrip(client);
    expect(delayed).toBeGreaterThanOrEqual(lagMs);
    expect(delayed).toBeLessThan(lagMs + 200);
    const fresh = await openClient(port);
    expect(await roundTrip(fresh)).toBeGreaterThanOrEqual(lagMs);

    await toxic.remove();
    expect(await roundTrip(client)).toBeLessThan(lagMs);
  });

  test('bandwidth caps throughput at `rate` KB/s (within -25%/+10%), and removing it lifts the cap', async () => {
    const payload = patternBytes(50_000);
    const { proxy, port } = await proxyTo(sender(payload));
    const toxic = await proxy.addToxic({ name: 'thin', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: 100 } });

    const slow = await openClient(port);
    const doneAt = await slow.waitForBytes(payload.length, 3000);
    // 50 000 bytes at 100 KB/s (100 000 B/s) take 500 ms.
    const kBps = payload.length / (doneAt - slow.connectedAtMs);
    expect(kBps).toBeGreaterThan(75);
    expect(kBps).toBeLessThan(110);
    expect(slow.received().equals(payload)).toBe(true);

    await toxic.remove();
    const fast = await openClient(port);
    // Under half the capped time, with room for a loaded machine.
    expect((await fast.waitForBytes(payload.length, 1000)) - fast.connectedAtMs).toBeLessThan(250);
  });

  test('slow_close holds the close for `delay` ms after the data, and removing it closes at once', async () => {
    const { proxy, port } = await proxyTo(sender(Buffer.from('bye'), true));
    const toxic = await proxy.addToxic({ name: 'linger', type: 'slow_close', stream: 'downstream', toxicity: 1, attributes: { delay: 500 } });

    const held = await openClient(port);
    const dataAt = await held.waitForBytes(3, 1000);
    expect(dataAt - held.connectedAtMs).toBeLessThan(250);
    const heldClose = await within(held.closed, 2000, 'close after slow_close');
    // The delay counts from when the proxy saw the end, a little after the data.
    expect(heldClose.atMs - dataAt).toBeGreaterThanOrEqual(480);
    expect(heldClose.errorCode).toBeUndefined();

    await toxic.remove();
    const prompt = await openClient(port);
    expect((await within(prompt.closed, 2000, 'close without toxic')).atMs - prompt.connectedAtMs).toBeLessThan(250);
    expect(prompt.received().toString()).toBe('bye');
  });

  test('timeout lets no data through and closes after `timeout` ms of silence', async () => {
    const { proxy, port } = await proxyTo(startEchoServer);
    await proxy.addToxic({ name: 'blackhole', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 300 } });

    const client = await openClient(port);
    client.socket.write('ping');
    const closed = await within(client.closed, 2000, 'close by timeout');
    expect(client.received().length).toBe(0);
    expect(closed.atMs - client.connectedAtMs).toBeGreaterThanOrEqual(280);
    expect(closed.atMs - client.connectedAtMs).toBeLessThan(1000);
  });

  test('timeout 0 holds the connection open with no data; removing it closes that connection and new ones work', async () => {
    const { proxy, port } = await proxyTo(startEchoServer);
    const toxic = await proxy.addToxic({ name: 'stall', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } });

    const stalled = await openClient(port);
    stalled.socket.write('ping');
    expect(await Promise.race([stalled.closed, after(400, 'still open')])).toBe('still open');
    expect(stalled.received().length).toBe(0);

    await toxic.remove();
    // As Toxiproxy: a connection that lost data to the toxic is closed with it.
    expect(await Promise.race([stalled.closed.then(() => 'closed'), after(1000, 'still open')])).toBe('closed');
    const fresh = await openClient(port);
    expect(await roundTrip(fresh)).toBeLessThan(lagMs);
  });

  test('reset_peer resets the connection (ECONNRESET) `timeout` ms after data, and removing it restores clean closes', async () => {
    const { proxy, port } = await proxyTo(startEchoServer);
    const toxic = await proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'downstream', toxicity: 1, attributes: { timeout: 100 } });

    const client = await openClient(port);
    client.socket.write('ping');
    const reset = await within(client.closed, 2000, 'reset by reset_peer');
    expect(reset.errorCode).toBe('ECONNRESET');
    expect(reset.atMs - client.connectedAtMs).toBeGreaterThanOrEqual(95);
    expect(client.received().length).toBe(0);

    await toxic.remove();
    const fresh = await openClient(port);
    expect(await roundTrip(fresh)).toBeLessThan(lagMs);
    fresh.socket.end();
    expect((await within(fresh.closed, 2000, 'clean close')).errorCode).toBeUndefined();
  });

  test('slicer delivers the same bytes in many more pieces, and removing it stops the slicing', async () => {
    const payload = patternBytes(8_000);
    const { proxy, port } = await proxyTo(sender(payload));
    const plain = await openClient(port);
    await plain.waitForBytes(payload.length, 1000);
    expect(plain.chunkCount()).toBeLessThanOrEqual(5);

    // About 80 slices of 100 ± 20 bytes, 1 ms apart.
    const toxic = await proxy.addToxic({
      name: 'slices',
      type: 'slicer',
      stream: 'downstream',
      toxicity: 1,
      attributes: { average_size: 100, size_variation: 20, delay: 1000 },
    });
    const sliced = await openClient(port);
    await sliced.waitForBytes(payload.length, 3000);
    expect(sliced.received().equals(payload)).toBe(true);
    expect(sliced.chunkCount()).toBeGreaterThanOrEqual(20);

    await toxic.remove();
    const again = await openClient(port);
    await again.waitForBytes(payload.length, 1000);
    expect(again.chunkCount()).toBeLessThanOrEqual(5);
  });

  test('limit_data closes the connection after exactly `bytes` bytes, and removing it lets everything through', async () => {
    const payload = patternBytes(5_000);
    const { proxy, port } = await proxyTo(sender(payload));
    const toxic = await proxy.addToxic({ name: 'cap', type: 'limit_data', stream: 'downstream', toxicity: 1, attributes: { bytes: 1000 } });

    const limited = await openClient(port);
    await within(limited.closed, 2000, 'close by limit_data');
    expect(limited.received().equals(payload.subarray(0, 1000))).toBe(true);

    await toxic.remove();
    const full = await openClient(port);
    await full.waitForBytes(payload.length, 1000);
    expect(full.received().equals(payload)).toBe(true);
  });

  test('upstream toxics act on client-to-server data only', async () => {
    const { proxy, port } = await proxyTo(startEchoServer);
    await proxy.addToxic({ name: 'up_lag', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: lagMs, jitter: 0 } });
    const client = await openClient(port);
    expect(await roundTrip(client)).toBeGreaterThanOrEqual(lagMs);
    expect((await proxy.getToxic('up_lag')).stream).toBe('upstream');
  });

  test('toxicity 0 spares every connection, toxicity 1 hits every one', async () => {
    const { proxy, port } = await proxyTo(startEchoServer);
    const toxic = await proxy.addToxic({ name: 'maybe', type: 'latency', stream: 'downstream', toxicity: 0, attributes: { latency: lagMs, jitter: 0 } });
    for (let i = 0; i < 3; i++) expect(await roundTrip(await openClient(port))).toBeLessThan(lagMs);
    await toxic.update({ ...toxic.toJson(), toxicity: 1 });
    for (let i = 0; i < 3; i++) expect(await roundTrip(await openClient(port))).toBeGreaterThanOrEqual(lagMs);
  });

  test('down (proxy disabled) closes open connections and refuses new ones; enabling it restores them', async () => {
    const { proxy, port } = await proxyTo(startEchoServer);
    const open = await openClient(port);
    expect(await roundTrip(open)).toBeLessThan(lagMs);

    const down = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(down.enabled).toBe(false);
    expect(await Promise.race([open.closed.then(() => 'closed'), after(1000, 'still open')])).toBe('closed');
    await expect(openClient(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const up = await down.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    expect(up.enabled).toBe(true);
    expect(listenPort(up)).toBe(port);
    expect(await roundTrip(await openClient(port))).toBeLessThan(lagMs);
  });
});

describe('changing toxics under traffic', () => {
  test('adding, updating and removing toxics mid-stream loses, duplicates and reorders no byte', async () => {
    const { proxy, port } = await proxyTo(startEchoServer);
    const client = await openClient(port);
    const total = 400_000;
    const payload = patternBytes(total);
    let sent = 0;
    // Write in 4 KB pieces every 2 ms, while toxics come and go.
    const writer = setInterval(() => {
      if (sent >= total) return clearInterval(writer);
      client.socket.write(payload.subarray(sent, sent + 4096));
      sent += 4096;
    }, 2);
    try {
      const lag = await proxy.addToxic({ name: 'lag', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 20, jitter: 10 } });
      const slices = await proxy.addToxic({ name: 'slices', type: 'slicer', stream: 'upstream', toxicity: 1, attributes: { average_size: 500, size_variation: 100, delay: 0 } });
      const thin = await proxy.addToxic({ name: 'thin', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: 2000 } });
      await after(50, undefined);
      await lag.update({ ...lag.toJson(), attributes: { latency: 5, jitter: 0 } });
      await lag.remove();
      await after(50, undefined);
      await slices.remove();
      await thin.remove();
      await client.waitForBytes(total, 5000);
    } finally {
      clearInterval(writer);
    }
    expect(client.received().equals(payload)).toBe(true);
  });
});
