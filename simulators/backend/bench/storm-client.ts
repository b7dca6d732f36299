// One load process of connect-storm.ts (forked with IPC, never run by hand):
//   node storm-client.ts <json: {port, localAddress, firstDevice, count, maxInFlight, deadlineMs}>
// Opens `count` device connections as fast as `maxInFlight` allows with a
// hand-written WebSocket upgrade and hello, so the load costs little CPU and
// the backend is what gets measured. Holds them until told to stop.
// Bounded: at most 2 attempts per device, and it gives up at `deadlineMs`.
import { connect, type Socket } from 'node:net';

interface ClientPlan {
  port: number;
  localAddress: string;
  firstDevice: number;
  count: number;
  maxInFlight: number;
  /** Wall-clock budget for the whole storm, in ms. */
  deadlineMs: number;
}

/** What a client reports to the driver when its storm is over. */
export interface ClientReport {
  welcomed: number;
  failed: number;
  /** Attempts that were retried, by cause. */
  retries: Record<string, number>;
  /** From start to the last welcome, in ms. */
  elapsedMs: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as ClientPlan;
const MAX_ATTEMPTS = 2;
const upgrade = Buffer.from(
  `GET /devices HTTP/1.1\r\nHost: 127.0.0.1:${plan.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

/** A masked text frame (clients must mask; a zero key leaves the payload as is). */
function helloFrame(deviceId: string): Buffer {
  const payload = Buffer.from(JSON.stringify({ type: 'hello', deviceId, token: 'bench' }));
  if (payload.length > 125) throw new Error('hello too long for a one-byte length');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

const sockets: Socket[] = [];
const retries: Record<string, number> = {};
let next = 0;
let inFlight = 0;
let welcomed = 0;
let failed = 0;
const startedMs = performance.now();
let lastWelcomeMs = startedMs;
let reported = false;

function open(index: number, attempt: number): void {
  inFlight += 1;
  const deviceId = `d-${String(plan.firstDevice + index).padStart(6, '0')}`;
  // An explicit source port: bind(addr, 0) makes the kernel search for a
  // free ephemeral port, which costs ~1 ms per connect once ~10k ports of
  // that address are in use (measured with strace: bind dominated the client).
  // Each client has its own source address, so index-based ports cannot collide.
  const localPort = (attempt === 1 ? 10_000 : 40_000) + index;
  const socket = connect({ port: plan.port, host: '127.0.0.1', localAddress: plan.localAddress, localPort, noDelay: true });
  let state: 'upgrading' | 'hello-sent' | 'online' | 'done' = 'upgrading';
  let head: Buffer | undefined;
  const give = (cause: string): void => {
    if (state === 'done' || state === 'online') return;
    state = 'done';
    socket.destroy();
    inFlight -= 1;
    if (attempt < MAX_ATTEMPTS && performance.now() - startedMs < plan.deadlineMs) {
      retries[cause] = (retries[cause] ?? 0) + 1;
      setTimeout(() => open(index, attempt + 1), 100 * attempt);
    } else {
      failed += 1;
      pump();
    }
  };
  socket.on('connect', () => socket.write(upgrade));
  socket.on('data', (chunk: Buffer) => {
    if (state === 'upgrading') {
      head = head === undefined ? chunk : Buffer.concat([head, chunk]);
      if (head.toString('latin1', 0, 12) !== 'HTTP/1.1 101') return give(`http ${head.toString('latin1', 9, 12)}`);
      // The response may come in pieces under load: wait for its end.
      if (head.indexOf('\r\n\r\n') === -1) return;
      state = 'hello-sent';
      socket.write(helloFrame(deviceId));
      // The welcome cannot be in this chunk: the backend sends it after our hello.
      return;
    }
    if (state === 'hello-sent') {
      // A sweep may ping a socket before its hello is handled: skip empty pings.
      while (chunk.length >= 2 && chunk[0] === 0x89 && chunk[1] === 0) chunk = chunk.subarray(2);
      if (chunk.length === 0) return;
      if (chunk[0] !== 0x81) return give('not a welcome');
      state = 'online';
      inFlight -= 1;
      welcomed += 1;
      lastWelcomeMs = performance.now();
      sockets.push(socket);
      pump();
    }
    // Later frames (pings, pushes) are ignored: the bench runs with a long heartbeat.
  });
  socket.on('error', (error: NodeJS.ErrnoException) => give(error.code ?? 'error'));
  socket.on('close', () => give('closed'));
}

function pump(): void {
  while (inFlight < plan.maxInFlight && next < plan.count) open(next++, 1);
  if (!reported && welcomed + failed === plan.count) {
    reported = true;
    const report: ClientReport = { welcomed, failed, retries, elapsedMs: lastWelcomeMs - startedMs };
    process.send?.({ type: 'done', report });
  }
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'stop') {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
// Progress for the driver, once a second.
setInterval(() => process.send?.({ type: 'progress', welcomed, failed, inFlight }), 1000).unref();
setTimeout(() => {
  process.stderr.write(`storm client ${plan.localAddress}: deadline of ${plan.deadlineMs} ms passed with ${welcomed} welcomed, ${failed} failed\n`);
  process.exit(1);
}, plan.deadlineMs + 60_000).unref();
pump();
