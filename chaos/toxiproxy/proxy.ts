import { connect, createServer, type Server, type Socket } from 'node:net';
import { formatHostPort, isLoopbackHost, parseHostPort } from './address.ts';
import { ApiError } from './api-errors.ts';
import { ProxyConnection } from './proxy-connection.ts';
import { ToxicCollection } from './toxic-collection.ts';
import type { ToxicJson } from './toxic-wrapper.ts';
import type { LinkContext } from './toxic-link.ts';

/** What every proxy of a server shares. */
export interface ProxyContext extends LinkContext {
  /** Allow listen addresses other than loopback ones. */
  allowRemote: boolean;
  log(line: string): void;
}

/** The proxy as the API shows it. Key order follows Toxiproxy's output. */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

/** Go's wording for listen errors, e.g. "listen tcp 127.0.0.1:80: bind: address already in use". */
function listenError(listen: string, error: NodeJS.ErrnoException): Error {
  const reasons: Record<string, string> = {
    EADDRINUSE: 'bind: address already in use',
    EACCES: 'bind: permission denied',
    EADDRNOTAVAIL: 'bind: cannot assign requested address',
    ENOTFOUND: 'no such host',
  };
  return new Error(`listen tcp ${listen}: ${reasons[error.code ?? ''] ?? error.message}`);
}

/** A listen address as Go's net.Listen reads it: "" is every interface, a free port. */
function parseListen(listen: string): { host: string; port: number } {
  return listen === '' ? { host: '', port: 0 } : parseHostPort(listen);
}

/**
 * A TCP proxy: it accepts clients on `listen`, connects each to `upstream`
 * and joins the two through its toxics. Disabling it closes the listener and
 * every connection (Toxiproxy's "down"). Once listening, `listen` holds the
 * actual address, so a port of 0 reads back as the port picked.
 */
export class Proxy {
  readonly name: string;
  listen: string;
  upstream: string;
  enabled = false;
  readonly toxics: ToxicCollection;
  private readonly context: ProxyContext;
  private server: Server | undefined;
  private readonly connections = new Set<ProxyConnection>();
  /** Clients accepted while their upstream connection is being made. */
  private readonly pending = new Set<Socket>();

  constructor(name: string, listen: string, upstream: string, context: ProxyContext) {
    this.name = name;
    this.listen = listen;
    this.upstream = upstream;
    this.context = context;
    this.toxics = new ToxicCollection(context);
  }

  /** Checks that the listen address may be used here (loopback unless remote is allowed). */
  checkListen(listen = this.listen): void {
    if (this.context.allowRemote) return;
    let host: string;
    try {
      host = parseListen(listen).host;
    } catch {
      return; // start() reports a malformed address as Toxiproxy does
    }
    if (!isLoopbackHost(host)) {
      throw new ApiError('listenNotAllowed', `${listen} is not a loopback address; start the server with --allow-remote to listen on other interfaces`);
    }
  }

  /** Starts listening; rejects (and stays disabled) if the address cannot be used. No-op if enabled. */
  async start(): Promise<void> {
    if (this.enabled) return;
    this.checkListen();
    let address;
    try {
      address = parseListen(this.listen);
    } catch (error) {
      throw new Error(`listen tcp ${(error as Error).message}`);
    }
    // Go resolves "localhost" to 127.0.0.1 for listening; Node might pick ::1.
    const host = address.host.toLowerCase() === 'localhost' ? '127.0.0.1' : address.host;
    // No Nagle (Go's default for TCP): small pieces, as the slicer makes, go out as they are written.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(listenError(this.listen, error)));
      server.listen({ host: host === '' ? undefined : host, port: address.port }, () => resolve());
    });
    server.on('error', (error) => this.context.log(`proxy ${this.name}: listener error: ${error.message}`));
    const bound = server.address() as { address: string; port: number };
    this.listen = formatHostPort(bound.address, bound.port);
    this.server = server;
    this.enabled = true;
    this.context.log(`proxy ${this.name}: started on ${this.listen} → ${this.upstream}`);
  }

  /** Stops listening and closes every connection through the proxy. No-op if disabled. */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const server = this.server!;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const client of this.pending) client.destroy();
    this.pending.clear();
    for (const connection of this.connections) connection.destroy();
    await closed;
    this.context.log(`proxy ${this.name}: stopped`);
  }

  /**
   * Applies an update: a new listen or upstream address restarts the proxy
   * (dropping its connections); `enabled` starts or stops it.
   */
  async update(input: { listen: string; upstream: string; enabled: boolean }): Promise<void> {
    if (input.enabled) this.checkListen(input.listen);
    if (input.listen !== this.listen || input.upstream !== this.upstream) {
      await this.stop();
      this.listen = input.listen;
      this.upstream = input.upstream;
    }
    if (input.enabled !== this.enabled) {
      if (input.enabled) await this.start();
      else await this.stop();
    }
  }

  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.toxics.list().map((toxic) => toxic.toJSON()),
    };
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    let target;
    try {
      target = parseHostPort(this.upstream);
    } catch (error) {
      this.context.log(`proxy ${this.name}: bad upstream ${this.upstream}: ${(error as Error).message}`);
      client.destroy();
      return;
    }
    this.pending.add(client);
    const upstream = connect({ host: target.host || 'localhost', port: target.port, allowHalfOpen: true, noDelay: true });
    upstream.on('error', () => {});
    upstream.once('error', (error) => {
      // As Toxiproxy: the client is accepted, then closed when the upstream cannot be reached.
      this.pending.delete(client);
      this.context.log(`proxy ${this.name}: unable to connect to upstream ${this.upstream}: ${error.message}`);
      client.destroy();
    });
    upstream.once('connect', () => {
      if (!this.pending.delete(client) || client.destroyed) {
        upstream.destroy();
        return;
      }
      const connection = new ProxyConnection(client, upstream, this.toxics);
      this.connections.add(connection);
      void connection.closed.then(() => this.connections.delete(connection));
    });
  }
}
