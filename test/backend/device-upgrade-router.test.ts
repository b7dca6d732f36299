import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startBackend, type BackendHandle } from '../../simulators/backend/backend-server.ts';
import { parseDeviceUpgrade } from '../../simulators/backend/device-upgrade-router.ts';

const upgrade = (requestLine: string, headers: string[], rest = ''): Buffer =>
  Buffer.from(`${requestLine}\r\n${headers.join('\r\n')}\r\n\r\n${rest}`, 'latin1');
const usual = ['Host: 127.0.0.1:4000', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'];

describe('parseDeviceUpgrade', () => {
  test('a plain device upgrade is taken with its headers (names lower-cased) and the bytes after them', () => {
    const parsed = parseDeviceUpgrade(upgrade('GET /devices?fleet=a HTTP/1.1', usual, '\x81\x85'), '/devices');
    expect(parsed?.request.method).toBe('GET');
    expect(parsed?.request.url).toBe('/devices?fleet=a');
    expect({ ...parsed?.request.headers }).toEqual({
      host: '127.0.0.1:4000',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    });
    expect([...parsed!.head]).toEqual([0x81, 0x85]);
  });

  test('anything else is left to the HTTP server', () => {
    const cases: [string, Buffer][] = [
      ['another path', upgrade('GET /devicesX HTTP/1.1', usual)],
      ['an API path', upgrade('GET /devices/d-1 HTTP/1.1', usual)],
      ['another method', upgrade('POST /devices HTTP/1.1', usual)],
      ['HTTP/1.0', upgrade('GET /devices HTTP/1.0', usual)],
      ['no Upgrade header', upgrade('GET /devices HTTP/1.1', usual.filter((h) => !h.startsWith('Upgrade')))],
      ['a repeated header', upgrade('GET /devices HTTP/1.1', [...usual, 'upgrade: websocket'])],
      ['a folded header', upgrade('GET /devices HTTP/1.1', [...usual, ' continued'])],
      ['a line without a colon', upgrade('GET /devices HTTP/1.1', [...usual, 'garbage'])],
      ['headers not complete yet', Buffer.from('GET /devices HTTP/1.1\r\nUpgrade: websocket\r\n')],
    ];
    for (const [name, chunk] of cases) expect(parseDeviceUpgrade(chunk, '/devices'), name).toBeNull();
  });
});

describe('a running backend', () => {
  let dir: string | undefined;
  let backend: BackendHandle | undefined;
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('an upgrade sent in pieces goes through the HTTP server and still upgrades', async () => {
    dir = mkdtempSync(join(tmpdir(), 'aftershock-router-test-'));
    backend = await startBackend({ dbPath: join(dir, 'b.sqlite') });
    const socket = connect({ port: backend.port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    const request = upgrade('GET /devices HTTP/1.1', usual).toString('latin1');
    const answer = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
    socket.write(request.slice(0, 30));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write(request.slice(30));
    expect((await answer).split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
    socket.destroy();
  });

  test('a connection that sends nothing is closed after the hello timeout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'aftershock-router-test-'));
    const helloTimeoutMs = 200;
    backend = await startBackend({ dbPath: join(dir, 'b.sqlite'), helloTimeoutMs });
    const socket = connect({ port: backend.port, host: '127.0.0.1' });
    const startedMs = performance.now();
    await new Promise((resolve) => socket.once('close', resolve));
    // Socket timeouts fire within ~timer slack; allow 300 ms on a loaded machine.
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(helloTimeoutMs - 5);
    expect(performance.now() - startedMs).toBeLessThan(helloTimeoutMs + 300);
  });
});
