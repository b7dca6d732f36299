import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BackendPeers, WorkerCommand } from './backend-peers.ts';
import { mergeDeviceViews, mergeMetrics, sumDevicesOnline } from './cluster-view.ts';
import { DEVICE_ID_PATTERN } from './device-protocol.ts';
import type { LocalBackend } from './local-backend.ts';
import { MAX_CPU_HOG_MS } from './cpu-hog.ts';
import type { OriginPublisher } from './origin-publisher.ts';

/** Largest PUT body accepted, in bytes (a URL and a little JSON around it). */
export const MAX_BODY_BYTES = 16 * 1024;

/** What the HTTP API reads and changes. */
export interface HttpApiContext {
  /** This process's hub, store, metrics and CPU hog. */
  local: LocalBackend;
  /**
   * The other workers of a multi-process backend, null for a single process.
   * With peers, every answer describes the whole backend, every admin command
   * reaches every worker, and responses carry `X-Backend-Worker: <pid>` (the
   * worker that served it: the kernel picks one per connection).
   */
  peers: BackendPeers | null;
  /** Where manifests are published after each durable write (`--origin-url`); absent: nowhere. */
  origin?: OriginPublisher | null;
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
  const servedBy = String(process.pid);
  return (request, response) => {
    if (context.peers !== null) response.setHeader('X-Backend-Worker', servedBy);
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
    const self = context.local.stats(false);
    if (context.peers === null) return ok({ status: 'ok', pid: process.pid, devicesOnline: self.devicesOnline });
    const peers = await context.peers.stats(false);
    return ok({ status: 'ok', pid: peers.supervisor.pid, devicesOnline: sumDevicesOnline(self, peers) });
  }
  if (path === '/metrics') {
    allow(method, 'GET');
    const self = context.local.stats(true);
    if (context.peers === null) {
      const { pid, devicesOnline, handshakesTotal, handshakesRejected } = self;
      return ok({ pid, devicesOnline, handshakesTotal, handshakesRejected, ...self.process });
    }
    return ok(mergeMetrics(self, await context.peers.stats(true)));
  }
  if (path === '/admin/open' || path === '/admin/close') {
    allow(method, 'POST');
    const open = path === '/admin/open';
    await applyEverywhere(context, { kind: 'admission', open });
    return ok({ admission: context.local.hub.isAdmissionOpen() ? 'open' : 'closed' });
  }
  if (path === '/admin/chaos/cpu') {
    allow(method, 'POST', 'DELETE');
    if (method === 'DELETE') {
      await applyEverywhere(context, { kind: 'cpu-hog-stop' });
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

async function putContent(context: HttpApiContext, deviceId: string, body: string): Promise<Reply> {
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
  const content = context.local.store.assign(deviceId, url);
  // Pushed before we answer, on every worker: a client that PUTs again after
  // this answer cannot overtake this push. A worker that does not confirm in
  // time does not fail the PUT (it is durable; the device gets it on its next
  // welcome), and a late push cannot undo a newer one (the hub skips older versions).
  context.local.apply({ kind: 'push', deviceId, content });
  await context.peers?.apply({ kind: 'push', deviceId, content });
  // Also before we answer, so a device that starts after this answer finds
  // the content at the origin even if the backend is gone by then. Never
  // fails the PUT: the write is durable already (the publisher counts and logs).
  await context.origin?.publish(deviceId, content);
  return ok({ deviceId, version: content.version, url: content.url });
}

/**
 * Applies an admin command here and on every other worker, and fails with
 * 504 naming the workers that did not confirm in time (the command still
 * reaches them when they wake up).
 */
async function applyEverywhere(context: HttpApiContext, command: WorkerCommand, localFirst = true): Promise<void> {
  if (localFirst) context.local.apply(command);
  const outcome = await context.peers?.apply(command);
  if (!localFirst) context.local.apply(command);
  if (outcome !== undefined && outcome.unconfirmedPids.length > 0) {
    throw new HttpError(
      504,
      `${command.kind} applied here, but worker(s) ${outcome.unconfirmedPids.join(', ')} did not confirm in time (frozen or busy); they apply it once they run again`,
    );
  }
}

async function startCpuHog(context: HttpApiContext, body: string): Promise<Reply> {
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
  // Here last: the hog starts 20 ms after it is applied and then blocks this
  // loop, so the answer must not wait for the other workers after that.
  await applyEverywhere(context, { kind: 'cpu-hog', dutyCycle, durationMs }, false);
  return { status: 202, body: { cpuHog: 'started', dutyCycle, durationMs } };
}

async function getDevice(context: HttpApiContext, deviceId: string): Promise<Reply> {
  const { store } = context.local;
  const content = store.getContent(deviceId);
  const local = context.local.device(deviceId);
  const views = context.peers === null ? [local] : [local, ...(await context.peers.device(deviceId))];
  const device = mergeDeviceViews(views);
  if (content === null && !device.seen) {
    throw new HttpError(404, `device ${deviceId} has never connected and has no content`);
  }
  // Acks are written once a second, so the newest may still be in some
  // worker's memory; versions only grow, so the newest is the largest.
  const stored = store.getAckedVersion(deviceId);
  const ackedVersion = device.pendingAckVersion === null || (stored !== null && stored > device.pendingAckVersion) ? stored : device.pendingAckVersion;
  return ok({ deviceId, content, online: device.online, ackedVersion });
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
