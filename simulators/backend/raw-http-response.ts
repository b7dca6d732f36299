import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Shared so a refused upgrade adds no closure: a reset while we answer is expected. */
function ignoreSocketError(): void {}

/**
 * Answers an upgrade request with a plain HTTP response and closes the socket.
 * Node hands the raw socket to the 'upgrade' listener without any HTTP
 * machinery (and without an error listener), so the response is written by hand.
 */
export function writeRawHttpResponse(socket: Duplex, status: number, body: Record<string, unknown>): void {
  socket.on('error', ignoreSocketError);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  // Destroy once flushed instead of waiting for the peer's FIN: a storm of
  // refused devices must not leave half-closed sockets behind.
  socket.once('finish', socket.destroy);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      '\r\n' +
      text,
  );
}
