// Test helpers for network chaos: a Toxiproxy to drive (the embedded one, or
// the real one at TOXIPROXY_URL), small upstream servers and a TCP client
// that records what it gets. Everything listens on 127.0.0.1.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { startToxiproxyServer, type ToxiproxyServerOptions } from '../../chaos/toxiproxy/toxiproxy-server.ts';

/** A Toxiproxy for one test; `stop` removes what the test made (external) or stops the server (embedded). */
export interface ToxiproxyUnderTest {
  url: string;
  client: Toxiproxy;
  /** True when the tests run against a real Toxiproxy at TOXIPROXY_URL. */
  external: boolean;
  /** A proxy to `upstreamPort` on 127.0.0.1, listening on a free port. */
  createProxy(upstreamPort: number, name?: string): Promise<Proxy>;
  stop(): Promise<void>;
}

let nextName = 0;
/** Names unique across test files and runs, so a shared real Toxiproxy sees no clashes. */
export function uniqueName(prefix = 'aftershock_test'): string {
  return `${prefix}_${process.pid}_${nextName++}`;
}

export async function startToxiproxyUnderTest(options: ToxiproxyServerOptions = {}): Promise<ToxiproxyUnderTest> {
  const externalUrl = process.env.TOXIPROXY_URL;
  const server = externalUrl ? undefined : await startToxiproxyServer(options);
  const url = externalUrl ?? server!.url;
  const client = new Toxiproxy(url);
  const created = new Set<string>();
  return {
    url,
    client,
    external: server === undefined,
    async createProxy(upstreamPort, name = uniqueName()) {
      created.add(name);
      return client.createProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}` });
    },
    async stop() {
      if (server) return server.stop();
      for (const name of created) await client.get(name).then((p) => p.remove(), () => undefined);
    },
  };
}

/** The port a proxy listens on, from its `listen` field. */
export function listenPort(proxy: { listen: string }): number {
  return Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1));
}

/** A TCP server on 127.0.0.1 that runs `onConnection` for each client; `stop` closes it and its sockets. */
export interface TestUpstream {
  port: number;
  sockets: Set<Socket>;
  stop(): Promise<void>;
}

export async function startUpstream(onConnection: (socket: Socket) => void): Promise<TestUpstream> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Echoes every byte back. */
export const startEchoServer = (): Promise<TestUpstream> => startUpstream((socket) => socket.pipe(socket));

/** How a client connection ended. */
export interface ClientClose {
  /** The socket error code, e.g. ECONNRESET, or undefined for a clean close. */
  errorCode: string | undefined;
  atMs: number;
}

/** A TCP client that records every chunk it receives. */
export interface TestClient {
  socket: Socket;
  connectedAtMs: number;
  received(): Buffer;
  /** Number of 'data' events so far (how many pieces the bytes came in). */
  chunkCount(): number;
  /** Resolves once `bytes` bytes have arrived (with the time of the last); rejects after `timeoutMs`. */
  waitForBytes(bytes: number, timeoutMs: number): Promise<number>;
  closed: Promise<ClientClose>;
}

const clients = new Set<Socket>();

/** Connects to 127.0.0.1:`port`; rejects with the socket error (e.g. ECONNREFUSED). */
export function openClient(port: number): Promise<TestClient> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  clients.add(socket);
  const chunks: Buffer[] = [];
  let size = 0;
  let lastAtMs = 0;
  const waiters = new Set<() => void>();
  let errorCode: string | undefined;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    lastAtMs = performance.now();
    for (const waiter of waiters) waiter();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => (errorCode ??= error.code));
  const closed = new Promise<ClientClose>((resolve) =>
    socket.once('close', () => {
      clients.delete(socket);
      resolve({ errorCode, atMs: performance.now() });
    }),
  );
  const client: TestClient = {
    socket,
    connectedAtMs: 0,
    received: () => Buffer.concat(chunks),
    chunkCount: () => chunks.length,
    waitForBytes(bytes, timeoutMs) {
      if (size >= bytes) return Promise.resolve(lastAtMs);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (size < bytes) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(lastAtMs);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${size} of ${bytes} bytes arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    closed,
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      client.connectedAtMs = performance.now();
      resolve(client);
    });
    socket.once('error', reject);
  });
}

/** Destroys every client still open (for afterEach). */
export function destroyClients(): void {
  for (const socket of clients) socket.destroy();
  clients.clear();
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with `value` after `ms`, for racing against a promise that must not settle. */
export function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

/** Bytes 0..255 repeated: corruption or reordering shows up in a comparison. */
export function patternBytes(length: number, offset = 0): Buffer {
  const buffer = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buffer[i] = (i + offset) % 251;
  return buffer;
}
