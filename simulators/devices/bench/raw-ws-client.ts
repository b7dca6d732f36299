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
  /** Epoch ms that is time 0 for the reported times. */
  originEpochMs: number;
}

const sockets: WebSocket[] = [];
process.on('message', (message: Start | { type: 'stop' }) => {
  if (message.type === 'stop') {
    for (const socket of sockets) socket.terminate();
    process.disconnect?.();
    return;
  }
  const { url, firstDevice, count, perAddress, originEpochMs } = message;
  const originMs = originEpochMs - performance.timeOrigin;
  const welcomedAt: number[] = [];
  let failed = 0;
  const done = (): void => {
    if (welcomedAt.length + failed === count) process.send?.({ type: 'done', welcomedAt, failed, rssBytes: process.memoryUsage().rss });
  };
  for (let i = 0; i < count; i++) {
    const index = firstDevice + i;
    const deviceId = `d-${String(index + 1).padStart(6, '0')}`;
    const socket = new WebSocket(`${url}/devices`, { perMessageDeflate: false, localAddress: perAddress > 0 ? sourceAddressFor(index, perAddress) : undefined });
    sockets.push(socket);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'hello', deviceId, token: `token-${deviceId}` })));
    socket.once('message', () => {
      welcomedAt.push(performance.now() - originMs);
      done();
    });
    socket.on('error', () => {
      failed++;
      done();
    });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
