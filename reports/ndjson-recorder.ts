import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { RunEvent } from './run-events.ts';

/**
 * Streams run events to disk as NDJSON while the run happens, so that a run
 * that crashes still leaves its data. Lines are buffered in memory up to
 * `flushEveryBytes` and handed to the OS at least every `flushEveryMs`.
 */
export class NdjsonRecorder {
  private readonly stream: WriteStream;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private readonly flushTimer: ReturnType<typeof setInterval>;
  private closed = false;
  readonly path: string;

  constructor(path: string, options: { flushEveryMs?: number; flushEveryBytes?: number } = {}) {
    this.path = path;
    this.stream = createWriteStream(path, { flags: 'a' });
    this.flushEveryBytes = options.flushEveryBytes ?? 256 * 1024;
    this.flushTimer = setInterval(() => this.flush(), options.flushEveryMs ?? 250);
    this.flushTimer.unref();
  }

  private readonly flushEveryBytes: number;

  /** Records one event. Listener-shaped so it can be handed to emitters as is. */
  readonly record = (event: RunEvent): void => {
    if (this.closed) return;
    const line = JSON.stringify(event) + '\n';
    this.buffer.push(line);
    this.bufferedBytes += line.length;
    if (this.bufferedBytes >= this.flushEveryBytes) this.flush();
  };

  flush(): void {
    if (this.buffer.length === 0) return;
    this.stream.write(this.buffer.join(''));
    this.buffer = [];
    this.bufferedBytes = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearInterval(this.flushTimer);
    this.stream.end();
    await once(this.stream, 'finish');
  }
}
