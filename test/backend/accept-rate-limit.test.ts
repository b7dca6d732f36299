// --accept-rate's admission rule: exact, on a clock the test sets. The rule
// alone, against the planner's Admission with no patience, and inside the
// device hub (real loopback sockets, injected clock).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { AcceptRateLimit } from '../../simulators/backend/accept-rate-limit.ts';
import type { AssignmentStore } from '../../simulators/backend/assignment-store.ts';
import { DeviceHub, type DeviceHubOptions } from '../../simulators/backend/device-hub.ts';
import { Admission } from '../../simulators/model/capacity-model.ts';
import { connectDevice, refusedUpgrade, terminateAllDevices } from './device-client.ts';

describe('AcceptRateLimit', () => {
  test('admits the first upgrade at once and the next no earlier than 1000/R ms after the last admission', () => {
    const limit = new AcceptRateLimit(50); // one every 20 ms
    expect(limit.admit(1000)).toBe(true);
    expect(limit.admit(1000)).toBe(false);
    expect(limit.admit(1019.999)).toBe(false);
    expect(limit.admit(1020)).toBe(true);
    expect(limit.admit(1025)).toBe(false);
    // Idle for a second: no credit builds up, one admission and the spacing again.
    expect(limit.admit(2100)).toBe(true);
    expect(limit.admit(2100)).toBe(false);
    expect(limit.admit(2119)).toBe(false);
    expect(limit.admit(2120)).toBe(true);
  });

  test('under a steady stream of arrivals faster than the rate it admits exactly R per second', () => {
    const limit = new AcceptRateLimit(50);
    let admitted = 0;
    // One arrival every ms for a second: admitted at 0, 20, ..., 980.
    for (let t = 0; t < 1000; t++) if (limit.admit(t)) admitted++;
    expect(admitted).toBe(50);
  });

  test('is the planner\'s Admission with a patience of 0, arrival for arrival', () => {
    // Seeded arrivals (an LCG), bursts and gaps mixed, rates above and below the limit.
    let state = 12345;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (const perSecond of [0.5, 7, 50, 800]) {
      const limit = new AcceptRateLimit(perSecond);
      const model = new Admission({ acceptPerSecond: perSecond, maxInFlight: Infinity, serviceTimeMs: 0, overload: '503' }, 0);
      let t = 0;
      let admitted = 0;
      for (let i = 0; i < 20_000; i++) {
        t += next() < 0.3 ? 0 : next() * (2000 / perSecond);
        const backend = limit.admit(t);
        expect(backend).toBe(model.admit(t) === t);
        if (backend) admitted++;
      }
      // Both admitted something and turned something away: the comparison covered both answers.
      expect(admitted).toBeGreaterThan(100);
      expect(admitted).toBeLessThan(20_000);
    }
  });

  test('admissions are at least 1000/R ms apart: a window of W ms holds at most 1 + floor(W * R / 1000)', () => {
    const limit = new AcceptRateLimit(30);
    const times: number[] = [];
    let state = 7;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let t = 0;
    for (let i = 0; i < 50_000; i++) {
      t += next() * 10;
      if (limit.admit(t)) times.push(t);
    }
    expect(times.length).toBeGreaterThan(1000);
    // 1e-9 ms: the gap is computed in floating point, the rule compares t >= last + 1000/R.
    for (let i = 0; i + 1 < times.length; i++) expect(times[i + 1] - times[i]).toBeGreaterThanOrEqual(1000 / 30 - 1e-9);
  });

  test('giveBack undoes the last admission', () => {
    const limit = new AcceptRateLimit(10);
    expect(limit.admit(0)).toBe(true);
    expect(limit.admit(100)).toBe(true);
    limit.giveBack();
    expect(limit.admit(100)).toBe(true);
    expect(limit.admit(150)).toBe(false);
  });

  test('refuses a rate that is not positive and finite', () => {
    for (const bad of [0, -1, Number.NaN, Infinity]) expect(() => new AcceptRateLimit(bad)).toThrow(`accept rate must be a positive number per second, got ${bad}`);
  });
});

describe('DeviceHub with --accept-rate', () => {
  let server: Server | undefined;
  let hub: DeviceHub | undefined;

  afterEach(async () => {
    terminateAllDevices();
    hub?.stop();
    hub = undefined;
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  });

  const store: AssignmentStore = {
    acknowledgesBeforeWrite: false,
    assign: () => {
      throw new Error('not used');
    },
    getContent: () => null,
    recordAck: () => undefined,
    getAckedVersion: () => null,
    getPendingAckVersion: () => null,
    close: () => undefined,
  };

  /** A hub on a loopback port whose clock is `clock.ms`. */
  async function startHub(options: Partial<DeviceHubOptions>): Promise<{ url: string; port: number; clock: { ms: number }; hub: DeviceHub }> {
    const clock = { ms: 0 };
    const started = new DeviceHub({ store, heartbeatIntervalMs: 30_000, helloTimeoutMs: 30_000, maxHandshakesInFlight: null, holdClosed: false, now: () => clock.ms, ...options });
    hub = started;
    server = createServer();
    server.on('upgrade', (request, socket, head) => started.handleUpgrade(request, socket, head));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return { url: `ws://127.0.0.1:${port}/devices`, port, clock, hub: started };
  }

  test('an upgrade before the next slot gets 503 naming --accept-rate and counts as rejected', async () => {
    const { url, clock, hub } = await startHub({ acceptRate: { perSecond: 50, processes: 1 } });
    clock.ms = 5000;
    await connectDevice(url);
    const refused = await refusedUpgrade(url);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).error).toBe('handshakes over the accept rate of 50/s (--accept-rate); retry later');
    clock.ms = 5019.9;
    expect((await refusedUpgrade(url)).status).toBe(503);
    clock.ms = 5020;
    await connectDevice(url);
    expect(hub.stats()).toMatchObject({ handshakesRejected: 2, handshakesInFlight: 2 });
  });

  test('a worker admits its share: R / processes, and says so', async () => {
    const { url, clock, hub } = await startHub({ acceptRate: { perSecond: 50, processes: 2 } });
    await connectDevice(url);
    clock.ms = 20; // a whole backend's spacing, half of this worker's 40 ms
    const refused = await refusedUpgrade(url);
    expect(JSON.parse(refused.body).error).toBe("handshakes over this worker's share of the accept rate, 25/s of 50/s over 2 workers (--accept-rate); retry later");
    clock.ms = 40;
    await connectDevice(url);
    expect(hub.stats().handshakesRejected).toBe(1);
  });

  test('an upgrade refused by the in-flight limit takes no slot of the rate, as in the planner', async () => {
    const { url, clock, hub } = await startHub({ acceptRate: { perSecond: 50, processes: 1 }, maxHandshakesInFlight: 1 });
    const first = await connectDevice(url);
    clock.ms = 20;
    const refused = await refusedUpgrade(url);
    expect(JSON.parse(refused.body).error).toBe('handshakes in flight at the limit of 1 (--max-handshakes-in-flight); retry later');
    first.send({ type: 'hello', deviceId: 'd-1', token: 't' });
    expect((await first.next()).type).toBe('welcome');
    // Still t = 20: the slot the refused upgrade did not take is there.
    await connectDevice(url);
    expect(hub.stats()).toMatchObject({ handshakesRejected: 1, handshakesTotal: 1 });
  });

  test('a malformed upgrade that ws answers itself gives its slot back', async () => {
    const { url, port, hub } = await startHub({ acceptRate: { perSecond: 1, processes: 1 } });
    // No Sec-WebSocket-Key: ws answers 400 without upgrading.
    const socket = connect(port, '127.0.0.1');
    socket.end('GET /devices HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n');
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    await once(socket, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    // Same instant, one per second: the slot is still free.
    await connectDevice(url);
    expect(hub.stats()).toMatchObject({ handshakesRejected: 0, handshakesInFlight: 1 });
  });
});
