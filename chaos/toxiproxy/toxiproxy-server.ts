import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import { streamRng } from '../../simulators/devices/policy/rng.ts';
import { formatHostPort, isLoopbackHost } from './address.ts';
import { createApiHandler } from './api-routes.ts';
import { ProxyCollection } from './proxy-collection.ts';
import type { Clock, Rng } from './toxic-stub.ts';

/** What GET /version reports: the Toxiproxy API level this server speaks, and that it is not Toxiproxy itself. */
export const embeddedVersion = '2.12.0-aftershock-embedded';

export interface ToxiproxyServerOptions {
  /** Address of the HTTP API (default 127.0.0.1; a non-loopback one needs `allowRemote`). */
  host?: string;
  /** Port of the HTTP API; 0 (the default) picks a free one. */
  port?: number;
  /** Allow the API and proxies on addresses other than loopback ones. */
  allowRemote?: boolean;
  /** Seed of the server's random stream (toxicity draws, jitter, slice sizes); random if left out. */
  seed?: string | number;
  /** The random stream itself, for tests (overrides `seed`). */
  rng?: Rng;
  /** Clock in ms (default performance.now). */
  now?: Clock;
  /** Receives one line per proxy event (started, stopped, upstream unreachable). */
  log?: (line: string) => void;
}

/** A running embedded server; `stop` closes the API and every proxy. */
export interface StartedToxiproxyServer {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8474 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly seed: string | number;
  stop(): Promise<void>;
}

/** A named error for the CLI and callers: the API cannot listen where asked. */
export class ToxiproxyListenError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'ToxiproxyListenError';
    this.code = code;
  }
}

/**
 * Starts a server that speaks the Toxiproxy 2.x HTTP API (same routes, JSON,
 * statuses and toxic behaviour), in this process. Used when no
 * TOXIPROXY_URL is given, and by `aftershock toxiproxy`.
 */
export async function startToxiproxyServer(options: ToxiproxyServerOptions = {}): Promise<StartedToxiproxyServer> {
  const host = options.host ?? '127.0.0.1';
  const allowRemote = options.allowRemote ?? false;
  if (!allowRemote && !isLoopbackHost(host)) {
    throw new ToxiproxyListenError(`the Toxiproxy API would listen on ${host}, which is not a loopback address; allow it explicitly (--allow-remote)`, 'not-loopback');
  }
  const seed = options.seed ?? randomInt(2 ** 31);
  const proxies = new ProxyCollection({
    rng: options.rng ?? streamRng(seed, 'toxiproxy'),
    now: options.now ?? (() => performance.now()),
    allowRemote,
    log: options.log ?? (() => {}),
  });
  const server = createServer({ keepAliveTimeout: 5_000 }, createApiHandler(proxies, embeddedVersion));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = formatHostPort(host, options.port ?? 0);
      const reason = error.code === 'EADDRINUSE' ? 'the address is already in use' : error.message;
      reject(new ToxiproxyListenError(`the Toxiproxy API cannot listen on ${where}: ${reason}`, error.code ?? 'listen-failed'));
    });
    server.listen({ host, port: options.port ?? 0 }, () => resolve());
  });
  const bound = server.address() as { address: string; port: number };
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${formatHostPort(bound.address, bound.port)}`,
    host: bound.address,
    port: bound.port,
    seed,
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await proxies.clear();
        await closed;
      })();
      return stopping;
    },
  };
}
