import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Device ids as the backend accepts them (simulators/backend/device-protocol.ts). */
const DEVICE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Largest manifest PUT body, in bytes. */
const MAX_BODY_BYTES = 16 * 1024;

/** What a device needs to show its assignment without the backend: the version and where its content is. */
export interface Manifest {
  deviceId: string;
  version: number;
  url: string;
}

/** Requests served since start, for `GET /stats` and tests. */
export interface OriginStats {
  manifests: number;
  manifestPuts: number;
  /** PUTs that carried an older version than the one kept (a late publish; ignored). */
  manifestPutsStale: number;
  manifestGets: number;
  manifestMisses: number;
  contentGets: number;
}

export interface OriginOptions {
  /** Loopback address to listen on. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

/** A running origin; `stop()` is idempotent. */
export interface OriginHandle {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  stats(): OriginStats;
  stop(): Promise<void>;
}

/**
 * The content origin: a static server standing in for the CDN the devices
 * fetch their content from. It lives apart from the backend and chaos never
 * touches it, so devices can show content while the backend is away.
 *
 * - `PUT /manifests/:deviceId` `{"version","url"}`: the backend publishes a
 *   device's assignment after its durable write; an older version than the
 *   one kept is ignored (publishes may arrive out of order), answered 200
 *   with `"kept"` saying which version the origin now serves.
 * - `GET /manifests/:deviceId`: the device's newest manifest, 404 if none.
 * - `GET /content/...`: the content itself; any path is a small body naming
 *   it (the harness does not care what is on screen, only that something is).
 * - `GET /healthz`, `GET /stats`.
 *
 * Manifests are kept in memory: the origin is not the system under test.
 */
export async function startOrigin(options: OriginOptions = {}): Promise<OriginHandle> {
  const manifests = new Map<string, Manifest>();
  const stats: OriginStats = { manifests: 0, manifestPuts: 0, manifestPutsStale: 0, manifestGets: 0, manifestMisses: 0, contentGets: 0 };
  const server = createServer((request, response) => {
    route(request, manifests, stats).then(
      ([status, body, type]) => send(response, status, body, type),
      (error: Error) => send(response, 500, JSON.stringify({ error: error.message })),
    );
  });
  // Devices reuse connections; keep them a while after the last request.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    url: `http://${address.address}:${address.port}`,
    stats: () => ({ ...stats, manifests: manifests.size }),
    stop: () => (stopping ??= close(server)),
  };
}

type Answer = [status: number, body: string, contentType?: string];

async function route(request: IncomingMessage, manifests: Map<string, Manifest>, stats: OriginStats): Promise<Answer> {
  const path = (request.url ?? '/').split('?')[0];
  const method = request.method ?? 'GET';
  if (path === '/healthz') return [200, JSON.stringify({ status: 'ok', pid: process.pid })];
  if (path === '/stats') return [200, JSON.stringify({ ...stats, manifests: manifests.size })];
  if (path.startsWith('/content/')) {
    if (method !== 'GET' && method !== 'HEAD') return [405, JSON.stringify({ error: `method ${method} not allowed on content; use GET` })];
    stats.contentGets++;
    return [200, `aftershock content ${path.slice('/content/'.length)}\n`, 'text/plain'];
  }
  const match = /^\/manifests\/([^/]+)$/.exec(path);
  if (match === null) return [404, JSON.stringify({ error: `no route for ${method} ${path}` })];
  let deviceId = '';
  try {
    deviceId = decodeURIComponent(match[1]);
  } catch {
    // Not valid percent-encoding: rejected below like any bad id.
  }
  if (!DEVICE_ID_PATTERN.test(deviceId)) return [400, JSON.stringify({ error: `device id must match ${DEVICE_ID_PATTERN.source}` })];
  if (method === 'GET') {
    stats.manifestGets++;
    const manifest = manifests.get(deviceId);
    if (manifest === undefined) {
      stats.manifestMisses++;
      return [404, JSON.stringify({ error: `no manifest for device ${deviceId}` })];
    }
    return [200, JSON.stringify(manifest)];
  }
  if (method !== 'PUT') return [405, JSON.stringify({ error: `method ${method} not allowed on manifests; use GET or PUT` })];
  stats.manifestPuts++;
  const body = await readBody(request);
  let parsed: { version?: unknown; url?: unknown };
  try {
    parsed = JSON.parse(body);
  } catch {
    return [400, JSON.stringify({ error: 'body must be JSON like {"version":1,"url":"..."}' })];
  }
  const { version, url } = parsed ?? {};
  if (!Number.isSafeInteger(version) || (version as number) < 1 || typeof url !== 'string' || url === '') {
    return [400, JSON.stringify({ error: `body needs a positive integer version and a non-empty url, got ${body.slice(0, 200)}` })];
  }
  const kept = manifests.get(deviceId);
  if (kept !== undefined && kept.version >= (version as number)) {
    stats.manifestPutsStale++;
    return [200, JSON.stringify({ kept: kept.version })];
  }
  manifests.set(deviceId, { deviceId, version: version as number, url });
  return [200, JSON.stringify({ kept: version })];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    request.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_BODY_BYTES) {
        request.destroy();
        reject(new Error(`manifest body over ${MAX_BODY_BYTES} bytes`));
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: string, contentType = 'application/json'): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
