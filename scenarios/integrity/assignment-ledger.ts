import type { IntegrityEvent, WriteFailureCause } from '../../reports/integrity-events.ts';
import { deviceIdOf } from '../../simulators/devices/fleet.ts';
import { streamRng, type Rng } from '../../simulators/devices/policy/rng.ts';

export interface AssignmentLedgerOptions {
  /** The backend's HTTP API, e.g. http://127.0.0.1:4000. */
  apiBaseUrl: string;
  /** Content URLs are `<contentBaseUrl>/content/<device id>/<n>`: the origin, so devices can fetch them. */
  contentBaseUrl: string;
  devices: number;
  seed: string | number;
  /** Writes per scenario second while writing; real rate = this x timeScale. */
  writesPerSecond: number;
  timeScale: number;
  /** Most writes the paced loop sends, however long it runs. */
  maxWrites: number;
  /** Real ms one request may take (HTTP latency is physical, not scaled). */
  requestTimeoutMs?: number;
  /** Requests in flight at most; a write due beyond it is not sent and counted as 'in-flight-limit'. */
  maxInFlight?: number;
  /** Scenario ms now. */
  now: () => number;
  emit: (event: IntegrityEvent) => void;
}

/** Writes due at once at most, when the loop fell behind (a stalled event loop must not turn into a flood). */
const MAX_BURST = 100;

/**
 * The assignment ledger: assigns content to devices through the backend's
 * API (`PUT /devices/:id/content`) at a steady rate to random devices
 * (seeded), and records every write the API acknowledged as an 'assignment'
 * event: the list of what must never be lost. Writes that fail (refused,
 * timed out, 5xx: expected during an outage) are 'assignment-failed' events
 * and promise nothing. After recovery, `check` reads every device back
 * (`GET /devices/:id`) as 'assignment-check' events; the summary compares.
 *
 * Bounded: at most `maxWrites` paced writes and `maxInFlight` requests at
 * once, each with a timeout; everything stops with `stopWriting`.
 */
export class AssignmentLedger {
  private readonly options: Required<AssignmentLedgerOptions>;
  private readonly rng: Rng;
  /** Numbers the content URLs: every write's URL is unique, so an acknowledged (version, url) pair names one write. */
  private counter = 0;
  private sent = 0;
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing = false;

  constructor(options: AssignmentLedgerOptions) {
    this.options = { requestTimeoutMs: 2000, maxInFlight: 32, ...options };
    this.rng = streamRng(options.seed, 'assignment-ledger');
  }

  /**
   * Gives every device its first content before the fleet boots (devices
   * have content in real life before any outage), `concurrency` at a time,
   * each device up to 3 tries. Devices that could not be seeded are
   * recorded as failed writes and simply start without content.
   */
  async seedAll(signal?: AbortSignal, concurrency = 8): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.options.devices && !signal?.aborted) {
        const device = next++;
        for (let attempt = 0; attempt < 3 && !(await this.write(device)); attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Starts the paced writes: one every 1 / (writesPerSecond x timeScale) real s, to a random device. */
  startWriting(): void {
    if (this.writing) return;
    this.writing = true;
    const intervalMs = 1000 / (this.options.writesPerSecond * this.options.timeScale);
    const startedAt = performance.now();
    let due = 0;
    const tick = (): void => {
      if (!this.writing) return;
      const elapsed = performance.now() - startedAt;
      let burst = 0;
      while (due * intervalMs <= elapsed && burst < MAX_BURST && this.sent < this.options.maxWrites) {
        due++;
        burst++;
        this.sent++;
        const device = Math.floor(this.rng() * this.options.devices);
        if (this.inFlight >= this.options.maxInFlight) {
          this.options.emit({ type: 'assignment-failed', t: this.options.now(), device, cause: 'in-flight-limit' });
          continue;
        }
        void this.write(device);
      }
      if (this.sent >= this.options.maxWrites) {
        this.writing = false;
        return;
      }
      // Behind after a full burst: skip what cannot be caught up rather than flood.
      if (burst === MAX_BURST) due = Math.floor(elapsed / intervalMs);
      this.timer = setTimeout(tick, Math.max(1, startedAt + due * intervalMs - performance.now()));
    };
    tick();
  }

  /** Stops the paced writes and waits for those in flight (each ends within its timeout). */
  async stopWriting(): Promise<void> {
    this.writing = false;
    clearTimeout(this.timer);
    await Promise.all(this.pending);
  }

  /**
   * Reads every device's content back from the backend, `concurrency` at a
   * time, each up to 5 tries 200 ms apart (a backend busy with the storm may
   * be slow). 404 is "no content".
   */
  async check(signal?: AbortSignal, concurrency = 16): Promise<void> {
    const { apiBaseUrl, devices, requestTimeoutMs, now, emit } = this.options;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < devices && !signal?.aborted) {
        const device = next++;
        let error = '';
        for (let attempt = 0; attempt < 5; attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200));
          try {
            const response = await fetch(`${apiBaseUrl}/devices/${deviceIdOf(device)}`, { signal: AbortSignal.timeout(requestTimeoutMs) });
            const body = (await response.json()) as { content?: { version?: unknown; url?: unknown } | null };
            if (response.status === 404) {
              emit({ type: 'assignment-check', t: now(), device, content: null });
              error = '';
              break;
            }
            const content = body.content;
            if (response.status === 200 && content === null) {
              emit({ type: 'assignment-check', t: now(), device, content: null });
              error = '';
              break;
            }
            if (response.status === 200 && typeof content?.version === 'number' && typeof content.url === 'string') {
              emit({ type: 'assignment-check', t: now(), device, content: { version: content.version, url: content.url } });
              error = '';
              break;
            }
            error = `answered ${response.status}: ${JSON.stringify(body).slice(0, 200)}`;
          } catch (caught) {
            error = causeOf(caught);
          }
        }
        if (error !== '') emit({ type: 'assignment-check', t: now(), device, error });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** One PUT; resolves true if the API acknowledged it. Never rejects. */
  private write(device: number): Promise<boolean> {
    const { apiBaseUrl, contentBaseUrl, requestTimeoutMs, now, emit } = this.options;
    const id = deviceIdOf(device);
    const url = `${contentBaseUrl}/content/${id}/${++this.counter}`;
    this.inFlight++;
    const started = performance.now();
    const fail = (cause: WriteFailureCause): false => {
      emit({ type: 'assignment-failed', t: now(), device, cause });
      return false;
    };
    const request = (async (): Promise<boolean> => {
      try {
        const response = await fetch(`${apiBaseUrl}/devices/${id}/content`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ url }),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        const text = await response.text();
        if (response.status >= 500) return fail('http-5xx');
        if (response.status !== 200) return fail('http-4xx');
        let answer: { version?: unknown; url?: unknown };
        try {
          answer = JSON.parse(text);
        } catch {
          return fail('bad-answer');
        }
        if (!Number.isSafeInteger(answer.version) || answer.url !== url) return fail('bad-answer');
        emit({ type: 'assignment', t: now(), device, version: answer.version as number, url, latencyMs: Math.round((performance.now() - started) * 10) / 10 });
        return true;
      } catch (error) {
        return fail(causeOf(error) as WriteFailureCause);
      } finally {
        this.inFlight--;
      }
    })();
    const settled = request.then(() => undefined);
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return request;
  }
}

/** A failed fetch's cause as the summary counts it. */
function causeOf(error: unknown): WriteFailureCause {
  const { name, cause } = error as { name?: string; cause?: { code?: string; name?: string } };
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'reset';
  }
  return 'error';
}
