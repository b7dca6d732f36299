import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { AftershockError } from '../../scenarios/errors.ts';
import type { ChaosWatchdog } from '../watchdog/chaos-watchdog.ts';
import { formatHostPort, parseHostPort } from './address.ts';
import { startToxiproxyServer } from './toxiproxy-server.ts';

/** A proxy in front of a target; devices connect to `listenHost:listenPort`. */
export interface StartedTargetProxy {
  /** Base URL of the Toxiproxy HTTP API that controls the proxy (for the network injector). */
  readonly apiUrl: string;
  readonly name: string;
  readonly listenHost: string;
  readonly listenPort: number;
  /** True when the proxy lives on an external Toxiproxy (TOXIPROXY_URL). */
  readonly external: boolean;
  /** Deletes the proxy (external) or stops the embedded server; idempotent. */
  stop(): Promise<void>;
}

export interface ProxyForTargetOptions {
  /** The run folder; the embedded server logs to `<runDir>/toxiproxy.log`. */
  runDir: string;
  /** Proxy name (default: `aftershock_<run folder name>`, unique enough on a shared Toxiproxy). */
  name?: string;
  /** With an external Toxiproxy, the proxy's deletion is guarded here so a dead harness leaves none behind. */
  watchdog?: ChaosWatchdog;
  /** Toxiproxy to use (default: the TOXIPROXY_URL environment variable); none means the embedded server. */
  toxiproxyUrl?: string;
  /** Where the proxy listens (default 127.0.0.1:0, a free port). */
  listen?: string;
  /** Seed of the embedded server's randomness (toxicity draws, jitter); default random. */
  seed?: string | number;
}

/** Where clients connect for a listen address: an unspecified host means this machine. */
function connectHost(host: string): string {
  return host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/**
 * Puts a Toxiproxy proxy in front of `upstream`. With TOXIPROXY_URL (or
 * `toxiproxyUrl`) it creates the proxy on that server; otherwise it starts
 * the embedded server in this process on 127.0.0.1 and creates it there. In
 * both cases the proxy is made through the same client calls.
 */
export async function startProxyFor(upstream: { host: string; port: number }, options: ProxyForTargetOptions): Promise<StartedTargetProxy> {
  const externalUrl = (options.toxiproxyUrl ?? process.env.TOXIPROXY_URL)?.replace(/\/+$/, '') || undefined;
  const name = options.name ?? `aftershock_${basename(options.runDir).replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  // A URL's hostname keeps the brackets of an IPv6 address; formatHostPort adds them back.
  const upstreamAddress = formatHostPort(upstream.host.replace(/^\[(.*)\]$/, '$1'), upstream.port);

  let embedded: Awaited<ReturnType<typeof startToxiproxyServer>> | undefined;
  let log: ReturnType<typeof createWriteStream> | undefined;
  if (!externalUrl) {
    mkdirSync(options.runDir, { recursive: true });
    log = createWriteStream(join(options.runDir, 'toxiproxy.log'), { flags: 'a' });
    const logStream = log;
    embedded = await startToxiproxyServer({ seed: options.seed, log: (line) => logStream.write(`${new Date().toISOString()} ${line}\n`) });
  }
  const apiUrl = externalUrl ?? embedded!.url;
  const client = new Toxiproxy(apiUrl);

  let created;
  try {
    created = await client.createProxy({ name, listen: options.listen ?? '127.0.0.1:0', upstream: upstreamAddress });
  } catch (error) {
    await embedded?.stop();
    log?.end();
    const message = (error as Error).message;
    if (/status code 409\b/.test(message)) {
      throw new AftershockError(
        'toxiproxy-proxy-exists',
        `Toxiproxy at ${apiUrl} already has a proxy named "${name}" (left by an earlier run?); delete it (curl -X DELETE ${apiUrl}/proxies/${name}) or use another run folder`,
      );
    }
    throw new AftershockError(
      'toxiproxy-unreachable',
      `could not create proxy "${name}" → ${upstreamAddress} on Toxiproxy at ${apiUrl}${externalUrl ? ' (TOXIPROXY_URL)' : ''}: ${message}; ` +
        (externalUrl ? 'start toxiproxy-server there, or unset TOXIPROXY_URL to use the embedded server' : 'see toxiproxy.log in the run folder'),
      { cause: error },
    );
  }
  const release = externalUrl ? options.watchdog?.guard({ kind: 'http', method: 'DELETE', url: `${apiUrl}/proxies/${encodeURIComponent(name)}` }) : undefined;
  const listen = parseHostPort(created.listen);

  let stopping: Promise<void> | undefined;
  return {
    apiUrl,
    name,
    listenHost: connectHost(listen.host),
    listenPort: listen.port,
    external: embedded === undefined,
    stop() {
      stopping ??= (async () => {
        if (embedded) {
          await embedded.stop();
          await new Promise<void>((resolve) => log!.end(() => resolve()));
          return;
        }
        await created.remove().catch((error: Error) => {
          if (!/status code 404\b/.test(error.message)) throw error;
        });
        release?.();
      })();
      return stopping;
    },
  };
}
