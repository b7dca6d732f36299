import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { freePort } from '../../scenarios/targets/reference-target.ts';
import { Fleet } from '../../simulators/devices/fleet.ts';
import type { FleetEvent } from '../../simulators/devices/fleet-events.ts';
import { createPolicy } from '../../simulators/devices/policy/index.ts';

// Real time, small fleets: timeouts of 200-400 ms with a stated tolerance.
const policy = createPolicy({ kind: 'seed', firstWaitMaxMs: 50, baseMs: 50, factor: 2, capMs: 200, jitter: 0 });

function fleetAgainst(port: number, events: FleetEvent[], overrides: Partial<ConstructorParameters<typeof Fleet>[0]> = {}): Fleet {
  return new Fleet({
    devices: 3,
    baseUrl: `ws://127.0.0.1:${port}`,
    policy,
    seed: 'causes',
    timeScale: 1,
    rampUpMs: 0,
    connectTimeoutMs: 1000,
    handshakeTimeoutMs: 300,
    heartbeatTimeoutMs: 400,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
}

const causes = (events: FleetEvent[], type: 'failure' | 'lost') =>
  new Set(events.filter((e) => e.type === type).map((e) => (e as { cause: string }).cause));

describe('how devices notice an outage, against real sockets', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  test('a backend that stops pinging is noticed by heartbeat timeout', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    // Welcomes every device, then never pings: a frozen event loop, seen from outside.
    wss.on('connection', (socket) => socket.once('message', () => socket.send(JSON.stringify({ type: 'welcome', content: null }))));
    closers.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const events: FleetEvent[] = [];
    const fleet = fleetAgainst((wss.address() as { port: number }).port, events);
    closers.push(() => fleet.stop());
    fleet.start();
    await sleep(900);
    const lost = events.filter((e) => e.type === 'lost');
    expect(lost.length).toBeGreaterThanOrEqual(3);
    expect(causes(events, 'lost')).toEqual(new Set(['heartbeat-timeout']));
    // Each device was online for at least the 400 ms heartbeat timeout before giving up.
    for (const loss of lost.slice(0, 3)) {
      const online = events.find((e) => e.type === 'online' && e.device === loss.device)!;
      expect(loss.t - online.t).toBeGreaterThanOrEqual(400);
      expect(loss.t - online.t).toBeLessThan(400 + 200);
    }
  });

  test('TCP accepted but no WebSocket handshake: handshake timeout', async () => {
    const sockets: Socket[] = [];
    const server: TcpServer = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      sockets.forEach((s) => s.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const events: FleetEvent[] = [];
    const fleet = fleetAgainst((server.address() as { port: number }).port, events);
    closers.push(() => fleet.stop());
    fleet.start();
    await sleep(500);
    expect(causes(events, 'failure')).toEqual(new Set(['handshake-timeout']));
    expect(events.filter((e) => e.type === 'failure').length).toBeGreaterThanOrEqual(3);
  });

  test('nothing listening: refused; an HTTP 503 on upgrade: rejected-503', async () => {
    const closedPort = await freePort();
    const events: FleetEvent[] = [];
    const refused = fleetAgainst(closedPort, events);
    closers.push(() => refused.stop());
    refused.start();

    const http: HttpServer = createHttpServer();
    http.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const rejectedEvents: FleetEvent[] = [];
    const rejected = fleetAgainst((http.address() as { port: number }).port, rejectedEvents);
    closers.push(() => rejected.stop());
    rejected.start();

    await sleep(300);
    expect(causes(events, 'failure')).toEqual(new Set(['refused']));
    expect(causes(rejectedEvents, 'failure')).toEqual(new Set(['rejected-503']));
    // Every device is accounted for in exactly one state.
    const counts = rejected.counts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(3);
  });
});
