import { describe, expect, it } from 'vitest';
import { K6Fleet, type K6FleetSink, type K6Socket } from '../../scenarios/k6/script/k6-fleet.ts';
import { ManualClock } from '../../simulators/devices/clock.ts';
import { devicePolicyRng } from '../../simulators/devices/device-streams.ts';
import { createPolicy, plannedDelays } from '../../simulators/devices/policy/index.ts';
import { plainAdapter } from '../../simulators/devices/adapters/plain-adapter.ts';
import type { ProtocolAdapter } from '../../simulators/devices/protocol-adapter.ts';
import { referenceAdapter } from '../../simulators/devices/reference-adapter.ts';

/** A socket that does what the test tells it, with k6's readyState and handlers. */
class FakeSocket implements K6Socket {
  readyState = 0;
  sent: string[] = [];
  closed = false;
  onopen: () => void = () => {};
  onmessage: (event?: { data: unknown }) => void = () => {};
  onerror: (event?: { error?: unknown }) => void = () => {};
  onclose: (event?: { code?: number }) => void = () => {};
  onping: () => void = () => {};
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError');
    this.sent.push(data);
  }
  close(): void {
    if (this.readyState === 0) throw new Error('close() on a connecting socket blocks k6');
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen();
  }
  welcome(): void {
    this.onmessage({ data: JSON.stringify({ type: 'welcome', content: null }) });
  }
  fail(error: string): void {
    this.readyState = 3;
    this.onerror({ error });
    this.onclose({});
  }
}

/** Moves the clock in 1 ms steps until `condition` holds (at most `limitMs`). */
function advanceUntil(clock: ManualClock, condition: () => boolean, limitMs = 10_000): void {
  for (let ms = 0; !condition(); ms++) {
    if (ms >= limitMs) throw new Error(`not within ${limitMs} ms`);
    clock.advance(1);
  }
}

function setup(devices: number, overrides: Partial<{ connectTimeoutMs: number; handshakeTimeoutMs: number; heartbeatTimeoutMs: number; adapter: ProtocolAdapter }> = {}) {
  const clock = new ManualClock();
  const sockets: FakeSocket[] = [];
  const log: string[] = [];
  const waits: number[][] = [];
  const sink: K6FleetSink = {
    attempt: (d, a) => log.push(`attempt ${d}#${a}`),
    wait: (d, a, ms) => (waits[d] ??= []).push(ms),
    online: (d, a, hs, ttr) => log.push(`online ${d}#${a}${ttr === null ? '' : ` after ${ttr}`}`),
    failure: (d, a, cause) => log.push(`failure ${d}#${a} ${cause}`),
    lost: (d, cause) => log.push(`lost ${d} ${cause}`),
    onlineCount: () => {},
  };
  const policy = createPolicy({ kind: 'seed', firstWaitMaxMs: 10_000, baseMs: 2_000, factor: 2, capMs: 60_000, jitter: 0 });
  const fleet = new K6Fleet({
    firstDevice: 10,
    devices,
    baseUrl: 'ws://backend:4000',
    policy,
    adapter: overrides.adapter ?? referenceAdapter,
    seed: 's',
    timeScale: 10,
    rampUpMs: 1_000,
    connectTimeoutMs: overrides.connectTimeoutMs ?? 5_000,
    handshakeTimeoutMs: overrides.handshakeTimeoutMs ?? 3_000,
    heartbeatTimeoutMs: overrides.heartbeatTimeoutMs ?? 20_000,
    clock,
    openSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    sink,
  });
  return { clock, sockets, log, waits, fleet, policy };
}

describe('the k6 device state machine (fake sockets, manual clock)', () => {
  it('boots within the ramp-up, says hello, and is online on welcome', () => {
    const { clock, sockets, log, fleet } = setup(2);
    fleet.start();
    clock.advance(100); // ramp-up 1 s of scenario time = 100 ms real at scale 10
    expect(sockets.map((s) => s.url)).toEqual(['ws://backend:4000/devices', 'ws://backend:4000/devices']);
    sockets[0].open();
    expect(JSON.parse(sockets[0].sent[0])).toEqual({ type: 'hello', deviceId: 'd-000011', token: 'token-d-000011' });
    sockets[0].welcome();
    expect(log.filter((l) => l.startsWith('online'))).toEqual(['online 10#0']);
    expect(fleet.onlineCount).toBe(1);
  });

  it('times out a connect it cannot see, abandons the socket without closing it, and waits as the policy says', () => {
    const { clock, sockets, log, waits, fleet, policy } = setup(1);
    fleet.start();
    clock.advance(100);
    clock.advance(500); // connect timeout 5 s scenario = 500 ms real
    expect(log).toEqual(['attempt 10#0', 'failure 10#0 connect-timeout']);
    expect(sockets[0].closed).toBe(false);
    // The same waits as the local fleet plans for device 10.
    expect(waits[10]).toEqual(plannedDelays(policy, devicePolicyRng('s', 10), 1));
    // The abandoned socket opens late: it is closed and ignored.
    sockets[0].open();
    expect(sockets[0].closed).toBe(true);
    expect(sockets[0].sent).toEqual([]);
  });

  it('fails a handshake without welcome, and counts refused connects by cause', () => {
    const { clock, sockets, log, fleet } = setup(1);
    fleet.start();
    clock.advance(100);
    sockets[0].open();
    clock.advance(300); // handshake timeout 3 s scenario
    expect(log.at(-1)).toBe('failure 10#0 handshake-timeout');
    expect(sockets[0].closed).toBe(true);
    advanceUntil(clock, () => sockets.length === 2, 1_000); // the policy's first wait: at most 10 s scenario, 1 s real
    sockets[1].fail('dial tcp backend:4000: connect: connection refused');
    expect(log.at(-1)).toBe('failure 10#1 refused');
  });

  it('loses an online device on a killed backend, and reports its time to reconnect', () => {
    const { clock, sockets, log, fleet } = setup(1);
    fleet.start();
    clock.advance(100);
    sockets[0].open();
    sockets[0].welcome();
    clock.advance(50);
    sockets[0].fail('websocket: close 1006 (abnormal closure): unexpected EOF');
    expect(log.at(-1)).toBe('lost 10 close');
    expect(fleet.onlineCount).toBe(0);
    advanceUntil(clock, () => sockets.length === 2, 1_000);
    sockets[1].open();
    clock.advance(7);
    sockets[1].welcome();
    const online = log.at(-1)!;
    expect(online).toMatch(/^online 10#1 after \d+$/);
    // From the loss to the welcome, in scenario ms (10 x real).
    const [, ttr] = /after (\d+)/.exec(online)!;
    expect(Number(ttr) % 10).toBe(0);
    expect(Number(ttr)).toBeGreaterThan(0);
  });

  it('notices silence through missing server pings', () => {
    const { clock, sockets, log, fleet } = setup(1);
    fleet.start();
    clock.advance(100);
    sockets[0].open();
    sockets[0].welcome();
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      sockets[0].onping();
    }
    expect(log.filter((l) => l.startsWith('lost'))).toEqual([]);
    clock.advance(2_300); // heartbeat timeout 20 s scenario = 2 s real, swept every 250 ms
    expect(log.filter((l) => l.startsWith('lost'))).toEqual(['lost 10 heartbeat-timeout']);
    expect(sockets[0].closed).toBe(true);
  });

  it('stops: closes open sockets, never a connecting one, and reports who was online', () => {
    const { clock, sockets, fleet } = setup(3);
    fleet.start();
    clock.advance(100);
    sockets[0].open();
    sockets[0].welcome();
    sockets[1].open();
    expect(fleet.stop()).toEqual({ online: 1, offline: 2 });
    expect(sockets.map((s) => s.closed)).toEqual([true, true, false]);
  });

  it("follows the scenario's protocol adapter: online on open, no heartbeat", () => {
    const adapter = plainAdapter({ kind: 'plain', path: '/ws?id={deviceId}', token: 't', hello: '{"hi":"{deviceId}"}', heartbeat: 'none' });
    const { clock, sockets, log, fleet } = setup(1, { adapter });
    fleet.start();
    clock.advance(100);
    expect(sockets[0].url).toBe('ws://backend:4000/ws?id=d-000011');
    sockets[0].open();
    expect(sockets[0].sent).toEqual(['{"hi":"d-000011"}']);
    expect(log.at(-1)).toBe('online 10#0');
    clock.advance(60_000);
    expect(log.filter((l) => l.startsWith('lost'))).toEqual([]);
  });
});
