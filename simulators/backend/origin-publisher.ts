import type { Content } from './device-protocol.ts';

/** How long one publish may take before it counts as failed, real ms. */
export const ORIGIN_PUBLISH_TIMEOUT_MS = 2000;

/** How often failures are logged at most, real ms (a dead origin must not flood stderr). */
const LOG_EVERY_MS = 10_000;

/**
 * Publishes a device's manifest (`{version, url}`) to the content origin
 * (simulators/origin) once its assignment is durable, so a device that
 * starts while the backend is away still finds its content there.
 *
 * Contract: `publish` never rejects and never throws. The assignment is
 * already durable when it is called, so a failed publish must not fail the
 * PUT: it is counted in `failures` and logged (at most once per 10 s, with the
 * count since the last line). The origin keeps the newest version, so
 * publishes that overtake each other do no harm.
 */
export class OriginPublisher {
  readonly #originUrl: string;
  readonly #timeoutMs: number;
  readonly #log: (line: string) => void;
  #published = 0;
  #failures = 0;
  #failuresSinceLog = 0;
  #lastLogMs = -Infinity;

  constructor(originUrl: string, options: { timeoutMs?: number; log?: (line: string) => void } = {}) {
    this.#originUrl = originUrl.replace(/\/$/, '');
    this.#timeoutMs = options.timeoutMs ?? ORIGIN_PUBLISH_TIMEOUT_MS;
    this.#log = options.log ?? ((line) => console.error(line));
  }

  /** Manifests the origin accepted. */
  get published(): number {
    return this.#published;
  }

  /** Publishes that failed (refused, timed out, or not answered 200). */
  get failures(): number {
    return this.#failures;
  }

  /** Resolves true once the origin has the manifest, false if it could not be told. */
  async publish(deviceId: string, content: Content): Promise<boolean> {
    let problem: string;
    try {
      const response = await fetch(`${this.#originUrl}/manifests/${encodeURIComponent(deviceId)}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ version: content.version, url: content.url }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.arrayBuffer();
      if (response.ok) {
        this.#published++;
        return true;
      }
      problem = `answered ${response.status}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      problem = (error as Error).name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : (cause ?? (error as Error).message);
    }
    this.#failures++;
    this.#failuresSinceLog++;
    const now = performance.now();
    if (now - this.#lastLogMs >= LOG_EVERY_MS) {
      this.#log(
        `backend: publishing to the origin ${this.#originUrl} failed ${this.#failuresSinceLog} time(s) since the last report ` +
          `(${this.#failures} in all; last: manifest of ${deviceId} v${content.version}: ${problem}); the assignments are durable, devices get them on their next welcome`,
      );
      this.#lastLogMs = now;
      this.#failuresSinceLog = 0;
    }
    return false;
  }
}
