// The baseline of bench:fleet: the least a WebSocket client can do to bring
// `count` devices online (connect, hello, welcome), all at once, with the
// same source-address spreading as the fleet. Reports when each welcome
// arrived; holds its connections until told to stop.
import WebSocket from 'ws';
import { sourceAddressFor } from '../source-addresses.ts';

interface Start {
  type: 'start';
  url: string;
  firstDevice: number;
  count: number;
  perAddress: number;
  /** B of the 127.B.x.y source addresses. */
  block: number;
  /** Epoch ms that is time 0 for the reported times. */
  originEpochMs: number;
  /** Report whatever has happened by then, real ms after the start. */
  deadlineMs: number;
}

const sockets: WebSocket[] = [];
const connectsPerTurn = 200;
process.on('message', (message: Start | { type: 'stop' }) => {
  if (message.type === 'stop') {
    for (const socket of sockets) socket.terminate();
    process.disconnect?.();
    return;
  }
  const { url, firstDevice, count, perAddress, block, originEpochMs, deadlineMs } = message;
  const originMs = originEpochMs - performance.timeOrigin;
  const welcomedAt: number[] = [];
  let failed = 0;
  let reported = false;
  const report = (): void => {
    if (reported) return;
    reported = true;
    clearTimeout(deadline);
    process.send?.({ type: 'done', welcomedAt, failed, unfinished: count - welcomedAt.length - failed, rssBytes: process.memoryUsage().rss });
  };
  const deadline = setTimeout(report, deadlineMs);
  const done = (): void => {
    if (welcomedAt.length + failed === count) report();
  };
  const open = (i: number): void => {
    const index = firstDevice + i;
    const deviceId = `d-${String(index + 1).padStart(6, '0')}`;
    const socket = new WebSocket(`${url}/devices`, { perMessageDeflate: false, localAddress: perAddress > 0 ? sourceAddressFor(index, perAddress, block) : undefined });
    sockets.push(socket);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'hello', deviceId, token: `token-${deviceId}` })));
    // Each connection ends in exactly one of: welcome, or failure (error or close first).
    let settled = false;
    const settle = (welcomed: boolean): void => {
      if (settled) return;
      settled = true;
      if (welcomed) welcomedAt.push(performance.now() - originMs);
      else failed++;
      done();
    };
    socket.once('message', () => settle(true));
    socket.on('error', () => settle(false));
    socket.once('close', () => settle(false));
  };
  // As many connects per turn of the event loop as the fleet's timer queue
  // fires at most: one synchronous loop over thousands of sockets starves
  // their own replies, and every welcome then lands in one late burst.
  let next = 0;
  const openSome = (): void => {
    const end = Math.min(count, next + connectsPerTurn);
    for (; next < end; next++) open(next);
    if (next < count) setImmediate(openSome);
  };
  openSome();
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
