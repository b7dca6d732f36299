import WebSocket from 'ws';
import { AftershockError } from '../errors.ts';
import type { ProtocolAdapter } from '../../simulators/devices/protocol-adapter.ts';

/** A frame for a message: text as is (cut), binary as hex. */
function show(data: WebSocket.RawData, isBinary: boolean): string {
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
  return isBinary ? `<${buffer.subarray(0, 24).toString('hex')}${buffer.length > 24 ? '…' : ''}>` : JSON.stringify(buffer.toString().slice(0, 120));
}

/**
 * One device's handshake against a started target, before the storm: a
 * target that does not speak the scenario's protocol fails the run at once
 * with what was awaited, for how long, and what came back, instead of as
 * thousands of handshake timeouts. Resolves once the device would be online.
 */
export function probeProtocol(subject: string, wsBaseUrl: string, adapter: ProtocolAdapter, deviceId: string, timeoutMs: number): Promise<void> {
  const url = adapter.urlFor(wsBaseUrl, deviceId);
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const socket = new WebSocket(url, adapter.subprotocol, { perMessageDeflate: false });
    let settled = false;
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      if (error === undefined) resolve();
      else {
        reject(
          new AftershockError(
            'target-wrong-protocol',
            `${subject} does not answer protocol "${adapter.kind}": ${error} (awaited ${adapter.onlineOnOpen ? 'the WebSocket to open' : 'a welcome'} at ${url} within ${timeoutMs} ms); saw: ${seen.length ? seen.join(', ') : 'nothing'}; check target and protocol in the scenario`,
          ),
        );
      }
    };
    const timer = setTimeout(() => finish('no welcome in time'), timeoutMs);
    socket.on('unexpected-response', (_request, response) => {
      seen.push(`HTTP ${response.statusCode} instead of a WebSocket upgrade`);
      finish('the upgrade was refused');
    });
    socket.on('open', () => {
      seen.push('open');
      const hello = adapter.helloFor(deviceId);
      if (hello !== null) socket.send(hello);
      if (adapter.onlineOnOpen) finish();
    });
    socket.on('message', (data, isBinary) => {
      if (seen.length < 6) seen.push(show(data, isBinary));
      let message;
      if (adapter.parseFrame) {
        message = adapter.parseFrame(data as Buffer, deviceId);
      } else {
        const text = data.toString();
        const reply = adapter.respond?.(text, deviceId) ?? null;
        if (reply !== null) socket.send(reply);
        message = adapter.parse(text);
      }
      if (message !== 'heartbeat' && message.kind === 'welcome') finish();
      else if (message !== 'heartbeat' && message.kind === 'error') finish(`the backend answered with an error (${message.message})`);
    });
    socket.on('close', (code) => {
      seen.push(`close ${code}`);
      finish('the connection closed before a welcome');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      seen.push(error.code ?? error.message);
      finish('the connection failed');
    });
  });
}
