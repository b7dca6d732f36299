import { Agent, request } from 'node:http';

/** A device's assignment as the origin publishes it. */
export interface OriginManifest {
  version: number;
  url: string;
}

/** Why a fetch from the origin failed; a failure is data, never thrown at the device. */
export type FetchFailureCause = 'refused' | 'reset' | 'timeout' | 'http-404' | 'http-4xx' | 'http-5xx' | 'bad-manifest' | 'error';

/** What one fetch came to. */
export type FetchOutcome<T> = { ok: true; value: T } | { ok: false; cause: FetchFailureCause };

/**
 * Where a device gets the content it shows: the origin (the CDN), never the
 * backend. Contract: neither method rejects; each settles within the
 * fetcher's timeout. `manifest` answers `{ok: true, value: null}` when the
 * origin has no manifest for the device (nothing assigned yet). One fetcher is
 * shared by every device of a fleet; `close` drops its idle connections.
 */
export interface ContentFetcher {
  manifest(deviceId: string): Promise<FetchOutcome<OriginManifest | null>>;
  /** Downloads the content at `url` (and throws the body away: only whether it came matters). */
  content(url: string): Promise<FetchOutcome<void>>;
  close(): void;
}

/** Largest manifest or content body read, in bytes; the rest is not needed to know it arrived. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Fetches over plain HTTP with one keep-alive agent for the whole fleet (a
 * shard), at most `maxSockets` connections: thousands of devices booting at
 * once queue for a connection instead of opening thousands. `timeoutMs` is
 * real time from when the request has a connection: the queue is the
 * simulator's economy, not the origin's slowness, so it does not count
 * (a request still gives up after `queueLimitMs` in all).
 */
export class HttpContentFetcher implements ContentFetcher {
  readonly #originUrl: string;
  readonly #timeoutMs: number;
  readonly #queueLimitMs: number;
  readonly #agent: Agent;

  constructor(originUrl: string, options: { timeoutMs?: number; maxSockets?: number; queueLimitMs?: number } = {}) {
    this.#originUrl = originUrl.replace(/\/$/, '');
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#queueLimitMs = options.queueLimitMs ?? 60_000;
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 32 });
  }

  async manifest(deviceId: string): Promise<FetchOutcome<OriginManifest | null>> {
    const got = await this.#get(`${this.#originUrl}/manifests/${encodeURIComponent(deviceId)}`);
    if (!got.ok) return got.cause === 'http-404' ? { ok: true, value: null } : got;
    try {
      const { version, url } = JSON.parse(got.value) as { version?: unknown; url?: unknown };
      if (Number.isSafeInteger(version) && typeof url === 'string') return { ok: true, value: { version: version as number, url } };
    } catch {
      // Falls through to the failure below.
    }
    return { ok: false, cause: 'bad-manifest' };
  }

  async content(url: string): Promise<FetchOutcome<void>> {
    const got = await this.#get(url);
    return got.ok ? { ok: true, value: undefined } : got;
  }

  close(): void {
    this.#agent.destroy();
  }

  #get(url: string): Promise<FetchOutcome<string>> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: FetchOutcome<string>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      let req: ReturnType<typeof request>;
      try {
        req = request(url, { agent: this.#agent }, (response) => {
          const status = response.statusCode ?? 0;
          const chunks: Buffer[] = [];
          let total = 0;
          response.on('data', (chunk: Buffer) => {
            total += chunk.length;
            if (total <= MAX_BODY_BYTES) chunks.push(chunk);
          });
          response.on('end', () => {
            if (status === 200) settle({ ok: true, value: Buffer.concat(chunks).toString('utf8') });
            else settle({ ok: false, cause: status === 404 ? 'http-404' : status >= 500 ? 'http-5xx' : 'http-4xx' });
          });
          response.on('error', () => settle({ ok: false, cause: 'reset' }));
        });
      } catch {
        resolve({ ok: false, cause: 'error' });
        return;
      }
      // Idle time on the connection, once there is one; and a bound on everything.
      req.setTimeout(this.#timeoutMs, () => {
        settle({ ok: false, cause: 'timeout' });
        req.destroy();
      });
      const timer = setTimeout(() => {
        settle({ ok: false, cause: 'timeout' });
        req.destroy();
      }, this.#queueLimitMs);
      req.on('error', (error: NodeJS.ErrnoException) => {
        const cause: FetchFailureCause = error.code === 'ECONNREFUSED' ? 'refused' : error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'error';
        settle({ ok: false, cause });
      });
      req.end();
    });
  }
}
