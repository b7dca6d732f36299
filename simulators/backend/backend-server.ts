import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AssignmentStore } from './assignment-store.ts';
import type { BackendPeers } from './backend-peers.ts';
import { resolveBackendOptions, type BackendOptions, type BackendOptionsInput } from './backend-options.ts';
import { DelayedWriteAssignmentStore } from './delayed-write-assignment-store.ts';
import { DeviceHub } from './device-hub.ts';
import { routeDeviceUpgrades } from './device-upgrade-router.ts';
import { CpuHog } from './cpu-hog.ts';
import { createHttpApi } from './http-api.ts';
import { LocalBackend } from './local-backend.ts';
import { OriginPublisher } from './origin-publisher.ts';
import { ProcessMetrics } from './process-metrics.ts';
import { BackendListenError } from './backend-listen-error.ts';
import { writeRawHttpResponse } from './raw-http-response.ts';
import { SqliteAssignmentStore } from './sqlite-assignment-store.ts';

export { BackendListenError };

/** Path of the device WebSocket endpoint. */
export const DEVICES_PATH = '/devices';

/** How long `stop()` waits for open TCP connections to go away, in ms. */
const STOP_GRACE_MS = 2000;

/**
 * A running backend. Returned only once it listens, so `port` is always the
 * real one (also when 0 was asked for).
 */
export interface BackendHandle {
  readonly host: string;
  readonly port: number;
  /** Options after defaults were applied. */
  readonly options: BackendOptions;
  /** This process's part of the backend (a worker answers its peers through it). */
  readonly local: LocalBackend;
  /** Stops listening, drops every socket, makes pending writes durable and closes the db. Idempotent. */
  stop(): Promise<void>;
}

/** How this process takes part in a multi-process backend (see backend-supervisor.ts). */
export interface WorkerRole {
  /** The other workers; the API reaches them through this. */
  peers: BackendPeers;
  /** Listen with SO_REUSEPORT so every worker binds the same port and the kernel spreads connections. */
  reusePort: true;
  /** Worker processes of the backend, this one included: each admits 1/workers of `--accept-rate`. */
  workers: number;
}

/**
 * Starts the reference backend in this process: an HTTP server whose
 * `/devices` upgrades go to the device hub and everything else to the API.
 * Without `role` this process is the whole backend. Throws
 * `BackendOptionsError` for bad options and `BackendListenError` when the
 * port cannot be bound; nothing is left running in either case.
 */
export async function startBackend(input: BackendOptionsInput = {}, role?: WorkerRole): Promise<BackendHandle> {
  const options = resolveBackendOptions(input);
  const durable = new SqliteAssignmentStore({ path: options.dbPath });
  const store: AssignmentStore = options.unsafeAckBeforeWrite ? new DelayedWriteAssignmentStore(durable) : durable;
  const metrics = new ProcessMetrics();
  const hub = new DeviceHub({
    store,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    helloTimeoutMs: options.helloTimeoutMs,
    maxHandshakesInFlight: options.maxHandshakesInFlight,
    acceptRate: options.acceptRate === null ? null : { perSecond: options.acceptRate, processes: role?.workers ?? 1 },
    holdClosed: options.holdClosed,
  });
  const cpuHog = new CpuHog();
  const local = new LocalBackend({ hub, store, metrics, cpuHog });
  const origin = options.originUrl === undefined ? null : new OriginPublisher(options.originUrl);
  const server = createServer(createHttpApi({ local, peers: role?.peers ?? null, origin }));
  server.on('upgrade', (request, socket, head) => {
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path === DEVICES_PATH) hub.handleUpgrade(request, socket, head);
    else writeRawHttpResponse(socket, 404, { error: `no WebSocket endpoint at ${path}; devices connect to ${DEVICES_PATH}` });
  });
  // Plain device upgrades skip the HTTP server (the 'upgrade' route above
  // still takes anything unusual); connections silent that long are dropped.
  const fastUpgrades = routeDeviceUpgrades(server, DEVICES_PATH, options.helloTimeoutMs, (request, socket, head) =>
    hub.handleUpgrade(request, socket, head),
  );

  const release = async (): Promise<void> => {
    cpuHog.stop();
    hub.stop();
    fastUpgrades.stop();
    await closeServer(server);
    metrics.stop();
    store.close();
  };

  try {
    await listen(server, options.host, options.port, role?.reusePort ?? false);
  } catch (error) {
    await release();
    throw new BackendListenError(options.host, options.port, error as NodeJS.ErrnoException);
  }
  // After listening, errors come from accept(): typically EMFILE when a storm
  // outgrows the fd limit. A real server keeps serving the sockets it has, so
  // log (at most every 10 s, to keep stderr sparse) instead of crashing.
  let lastAcceptErrorLogMs = -Infinity;
  let acceptErrorsSinceLog = 0;
  server.on('error', (error: NodeJS.ErrnoException) => {
    acceptErrorsSinceLog += 1;
    const nowMs = performance.now();
    if (nowMs - lastAcceptErrorLogMs < 10_000) return;
    console.error(`backend: accept failed ${acceptErrorsSinceLog} time(s) since the last report, last error: ${error.code ?? error.message}`);
    lastAcceptErrorLogMs = nowMs;
    acceptErrorsSinceLog = 0;
  });
  const address = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    options,
    local,
    stop: () => (stopping ??= release()),
  };
}

const LISTEN_BACKLOG = 65_535;

function listen(server: Server, host: string, port: number, reusePort: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    // Node's default backlog (511) overflows when thousands of devices
    // connect at once: dropped SYNs come back only after the kernel's 1 s,
    // 3 s, 7 s retransmits. The kernel caps this at net.core.somaxconn.
    server.listen({ port, host, reusePort, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Closes the listener and every connection; gives up waiting after STOP_GRACE_MS. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, STOP_GRACE_MS);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    // Idle and active keep-alive HTTP connections; upgraded sockets were
    // already terminated by the hub.
    server.closeAllConnections();
  });
}
