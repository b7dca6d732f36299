import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/** Where a device upgrade request goes (the hub's `handleUpgrade`). */
export type UpgradeHandler = (request: IncomingMessage, socket: Socket, head: Buffer) => void;

/** Largest header block taken on the fast path, in bytes; anything bigger goes to the HTTP server. */
const MAX_FAST_HEADER_BYTES = 8 * 1024;

/**
 * Takes device upgrades past Node's HTTP server. Every new connection waits
 * for its first chunk: if that chunk holds a complete, plain
 * `GET <devicesPath> HTTP/1.1` request with an `Upgrade` header, it goes
 * straight to `onUpgrade` with the parsed request line and headers (ws
 * validates the rest, as it does behind the HTTP server). Anything else (the
 * HTTP API, a partial or unusual request) is put back and handed to the HTTP
 * server's own connection handler, so it is served exactly as before,
 * including the server's own 'upgrade' event.
 *
 * Why: the HTTP server's per-connection set-up (parser, IncomingMessage,
 * listeners) was ~20% of a device handshake's CPU (measured: 0.19 vs 0.24 ms
 * per handshake for a bare ws server behind net vs http), and in a reconnect
 * storm handshakes are all the backend does.
 *
 * Returns `stop()`, which destroys connections still waiting for their first
 * chunk (those are in neither the hub nor the HTTP server yet).
 */
export function routeDeviceUpgrades(server: Server, devicesPath: string, firstDataTimeoutMs: number, onUpgrade: UpgradeHandler): { stop(): void } {
  const httpConnectionListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const waiting = new Set<Socket>();
  const toHttp = (socket: Socket): void => {
    for (const listener of httpConnectionListeners) listener.call(server, socket);
  };

  // Shared functions, `this` is the socket: no closure per connection.
  function onFirstData(this: Socket, chunk: Buffer): void {
    waiting.delete(this);
    this.setTimeout(0);
    this.off('timeout', onWaitTimeout);
    this.off('error', onWaitError);
    const request = parseDeviceUpgrade(chunk, devicesPath);
    if (request === null) {
      this.pause();
      this.unshift(chunk);
      toHttp(this);
      this.resume();
      return;
    }
    onUpgrade(request.request, this, request.head);
  }
  function onWaitTimeout(this: Socket): void {
    waiting.delete(this);
    this.destroy();
  }
  function onWaitError(this: Socket): void {
    waiting.delete(this);
  }

  server.on('connection', (socket: Socket) => {
    waiting.add(socket);
    socket.setTimeout(firstDataTimeoutMs);
    socket.once('timeout', onWaitTimeout);
    socket.once('error', onWaitError);
    socket.once('data', onFirstData);
  });
  return {
    stop() {
      for (const socket of waiting) socket.destroy();
      waiting.clear();
    },
  };
}

/**
 * Parses a complete device upgrade request, or returns null if `chunk` is
 * anything else or anything unusual (then the HTTP server takes it).
 */
export function parseDeviceUpgrade(chunk: Buffer, devicesPath: string): { request: IncomingMessage; head: Buffer } | null {
  const end = chunk.indexOf('\r\n\r\n');
  if (end === -1 || end > MAX_FAST_HEADER_BYTES) return null;
  const lines = chunk.toString('latin1', 0, end).split('\r\n');
  const requestLine = lines[0];
  if (!requestLine.startsWith(`GET ${devicesPath}`) || !requestLine.endsWith(' HTTP/1.1')) return null;
  const url = requestLine.slice(4, -9);
  const after = url.charAt(devicesPath.length);
  if ((after !== '' && after !== '?') || url.includes(' ')) return null;
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i];
    const colon = line.indexOf(':');
    // Folded, malformed or repeated headers: let the real parser decide.
    if (colon <= 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) return null;
    const name = line.slice(0, colon).toLowerCase();
    if (name in headers || name.includes(' ')) return null;
    headers[name] = line.slice(colon + 1).trim();
  }
  if (headers.upgrade === undefined) return null;
  const request = { method: 'GET', url, headers, httpVersion: '1.1' } as unknown as IncomingMessage;
  return { request, head: chunk.subarray(end + 4) };
}
