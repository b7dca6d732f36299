import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AssignmentStore } from './assignment-store.ts';
import type { DeviceHub } from './device-hub.ts';
import { DEVICE_ID_PATTERN } from './device-protocol.ts';
import type { ProcessMetrics } from './process-metrics.ts';
import { MAX_CPU_HOG_MS, type CpuHog } from './cpu-hog.ts';

/** Largest PUT body accepted, in bytes (a URL and a little JSON around it). */
export const MAX_BODY_BYTES = 16 * 1024;

/** What the HTTP API reads and changes. */
export interface HttpApiContext {
  hub: DeviceHub;
  store: AssignmentStore;
  metrics: ProcessMetrics;
  cpuHog: CpuHog;
}

/** An HTTP answer: status and JSON body. */
interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A request that cannot be served; becomes a JSON `{error}` reply. */
class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string> | undefined;
  constructor(status: number, message: string, headers?: Record<string, string>) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/**
 * Builds the request listener of the HTTP API:
 * - `GET /healthz`, `GET /metrics`
 * - `PUT /devices/:id/content` `{"url"}`: durable before it answers (see AssignmentStore)
 * - `GET /devices/:id`
 * - `POST /admin/open`, `POST /admin/close`: let devices in or hold them out
 * - `POST /admin/chaos/cpu` `{"dutyCycle","durationMs"}`: burn the event loop
 *   (chaos: the incident's 100% CPU); `DELETE /admin/chaos/cpu` stops it
 */
export function createHttpApi(context: HttpApiContext): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    route(context, request).then(
      (reply) => send(response, reply),
      (error: unknown) => {
        if (error instanceof HttpError) {
          send(response, { status: error.status, body: { error: error.message }, headers: error.headers });
          return;
        }
        console.error(`http api: ${request.method} ${request.url} failed: ${(error as Error).stack ?? String(error)}`);
        send(response, { status: 500, body: { error: `internal error: ${(error as Error).message}` } });
      },
    );
  };
}

async function route(context: HttpApiContext, request: IncomingMessage): Promise<Reply> {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const method = request.method ?? 'GET';

  if (path === '/healthz') {
    allow(method, 'GET');
    return ok({ status: 'ok', pid: process.pid, devicesOnline: context.hub.stats().devicesOnline });
  }
  if (path === '/metrics') {
    allow(method, 'GET');
    const hub = context.hub.stats();
    return ok({
      pid: process.pid,
      devicesOnline: hub.devicesOnline,
      handshakesTotal: hub.handshakesTotal,
      handshakesRejected: hub.handshakesRejected,
      ...context.metrics.read(),
    });
  }
  if (path === '/admin/open' || path === '/admin/close') {
    allow(method, 'POST');
    context.hub.setAdmissionOpen(path === '/admin/open');
    return ok({ admission: context.hub.isAdmissionOpen() ? 'open' : 'closed' });
  }
  if (path === '/admin/chaos/cpu') {
    allow(method, 'POST', 'DELETE');
    if (method === 'DELETE') {
      context.cpuHog.stop();
      return ok({ cpuHog: 'stopped' });
    }
    return startCpuHog(context, await readBody(request));
  }
  const device = /^\/devices\/([^/]+)(\/content)?$/.exec(path);
  if (device !== null) {
    const deviceId = decodeDeviceId(device[1]);
    if (device[2] !== undefined) {
      allow(method, 'PUT');
      return putContent(context, deviceId, await readBody(request));
    }
    allow(method, 'GET');
    return getDevice(context, deviceId);
  }
  throw new HttpError(404, `no route for ${method} ${path}`);
}

function putContent(context: HttpApiContext, deviceId: string, body: string): Reply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, `body must be JSON like {"url":"..."}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'body must be a JSON object like {"url":"..."}');
  }
  const { url } = parsed as { url?: unknown };
  if (typeof url !== 'string' || url.length === 0) {
    throw new HttpError(400, `body.url must be a non-empty string, got ${url === undefined ? 'nothing' : JSON.stringify(url)}`);
  }
  // Durable (unless the testing-only unsafe store is in use) before we answer.
  const content = context.store.assign(deviceId, url);
  context.hub.pushContent(deviceId, content);
  return ok({ deviceId, version: content.version, url: content.url });
}

function startCpuHog(context: HttpApiContext, body: string): Reply {
  let parsed: { dutyCycle?: unknown; durationMs?: unknown };
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, `body must be JSON like {"dutyCycle":1,"durationMs":60000}: ${(error as Error).message}`);
  }
  const { dutyCycle, durationMs } = parsed ?? {};
  if (typeof dutyCycle !== 'number' || !(dutyCycle > 0 && dutyCycle <= 1)) {
    throw new HttpError(400, `dutyCycle must be a number in (0, 1], got ${JSON.stringify(dutyCycle)}`);
  }
  if (typeof durationMs !== 'number' || !(durationMs > 0 && durationMs <= MAX_CPU_HOG_MS)) {
    throw new HttpError(400, `durationMs must be a number in (0, ${MAX_CPU_HOG_MS}], got ${JSON.stringify(durationMs)}`);
  }
  context.cpuHog.start(dutyCycle, durationMs);
  return { status: 202, body: { cpuHog: 'started', dutyCycle, durationMs } };
}

function getDevice(context: HttpApiContext, deviceId: string): Reply {
  const content = context.store.getContent(deviceId);
  if (content === null && !context.hub.hasSeen(deviceId)) {
    throw new HttpError(404, `device ${deviceId} has never connected and has no content`);
  }
  return ok({
    deviceId,
    content,
    online: context.hub.isOnline(deviceId),
    ackedVersion: context.store.getAckedVersion(deviceId),
  });
}

function decodeDeviceId(segment: string): string {
  let deviceId: string;
  try {
    deviceId = decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `device id ${JSON.stringify(segment)} is not valid percent-encoding`);
  }
  if (!DEVICE_ID_PATTERN.test(deviceId)) {
    throw new HttpError(400, `device id must match ${DEVICE_ID_PATTERN.source}, got ${JSON.stringify(deviceId.slice(0, 140))}`);
  }
  return deviceId;
}

function allow(method: string, ...allowed: string[]): void {
  if (!allowed.includes(method)) {
    throw new HttpError(405, `method ${method} not allowed here; use ${allowed.join(' or ')}`, { Allow: allowed.join(', ') });
  }
}

/** Reads the body up to MAX_BODY_BYTES; larger bodies get 413 without being kept. */
function readBody(request: IncomingMessage): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(tooLarge(declared));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Keep draining (and discarding) rather than destroying the request, so
      // the 413 still reaches the client; Connection: close ends it after that.
      request.off('data', onData);
      request.off('end', onEnd);
      request.resume();
      reject(tooLarge(total));
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', reject);
  });
}

function tooLarge(seenBytes: number): HttpError {
  // Connection: close, because the rest of the body is left unread.
  return new HttpError(413, `body is larger than the limit of ${MAX_BODY_BYTES} bytes (seen at least ${seenBytes})`, {
    Connection: 'close',
  });
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function send(response: ServerResponse, reply: Reply): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...reply.headers,
  });
  response.end(text);
}
