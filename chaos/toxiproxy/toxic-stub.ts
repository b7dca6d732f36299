import type { ChunkChannel, StreamChunk, StreamItem } from './chunk-channel.ts';
import type { Toxic } from './toxics/toxic.ts';

/** What `read` returns when the stub was interrupted: return at once, dropping nothing. */
export const interrupted: unique symbol = Symbol('interrupted');
/** What `read` returns when its `timeoutMs` passed with no item. */
export const timedOut: unique symbol = Symbol('timed out');

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** The server's clock, in ms; injectable so that tests control time. */
export type Clock = () => number;

/**
 * One toxic's place in one link (one direction of one connection): its input
 * and output queues and its per-connection state. The toxic's `pipe` runs on
 * the stub until the input ends (it then closes the stub) or until the stub
 * is interrupted (the link is being rewired: it then returns at once and
 * drops nothing). A toxic reaches the world only through these methods, so
 * every wait in every toxic is interruptible.
 */
export class ToxicStub {
  input: ChunkChannel;
  output: ChunkChannel;
  /** Per-connection state of a stateful toxic (e.g. bytes sent so far); kept across updates. */
  state: unknown;
  readonly rng: Rng;
  readonly now: Clock;

  private closedFlag = false;
  private interruptPending = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(input: ChunkChannel, output: ChunkChannel, rng: Rng, now: Clock) {
    this.input = input;
    this.output = output;
    this.rng = rng;
    this.now = now;
  }

  /** True once the stub has passed the end of the stream on. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** True once an interrupt was asked for; long loops without waits check it. */
  get interrupted(): boolean {
    return this.interruptPending;
  }

  /** Starts `toxic` on this stub (no-op if it is closed). */
  run(toxic: Toxic): void {
    if (this.closedFlag) return;
    this.interruptPending = false;
    this.running = toxic.pipe(this).then(
      () => {
        // A pipe that returns without an interrupt has ended its stream.
        if (!this.interruptPending) this.close();
      },
      () => this.close(),
    );
  }

  /**
   * Stops the running toxic so the link can be rewired. Resolves true once it
   * has returned, or false if the stub is closed (nothing to rewire).
   */
  async interrupt(): Promise<boolean> {
    if (this.closedFlag) return false;
    this.interruptPending = true;
    this.wake?.();
    await this.running;
    return !this.closedFlag;
  }

  /** The next chunk, `null` at the end of the stream, or `interrupted`; with `timeoutMs`, `timedOut` if nothing came in time. */
  read(): Promise<StreamItem | typeof interrupted>;
  read(timeoutMs: number): Promise<StreamItem | typeof interrupted | typeof timedOut>;
  read(timeoutMs?: number): Promise<StreamItem | typeof interrupted | typeof timedOut> {
    if (this.interruptPending) return Promise.resolve(interrupted);
    const queued = this.input.take();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let cancel = (): void => {};
      const settle = (value: StreamItem | typeof interrupted | typeof timedOut): void => {
        this.wake = undefined;
        cancel();
        clearTimeout(timer);
        resolve(value);
      };
      cancel = this.input.whenItem(() => settle(this.input.take()!));
      this.wake = () => settle(interrupted);
      if (timeoutMs !== undefined) timer = setTimeout(() => settle(timedOut), Math.max(0, timeoutMs));
    });
  }

  /** Puts back an item this toxic took but did not act on, so the next toxic (or the next run) gets it. */
  unread(item: StreamItem): void {
    this.input.unshift(item);
  }

  /** Hands a chunk on, then waits while the next stage is full (not after an interrupt: the chunk is already handed on). */
  write(chunk: StreamChunk): Promise<void> {
    this.output.push(chunk);
    if (this.output.hasRoom() || this.interruptPending) return Promise.resolve();
    return new Promise((resolve) => {
      let cancel = (): void => {};
      const settle = (): void => {
        this.wake = undefined;
        cancel();
        resolve();
      };
      cancel = this.output.whenRoom(settle);
      this.wake = settle;
    });
  }

  /** Waits `ms` (never less: timers may fire a little early); resolves false, at once, if interrupted. */
  sleep(ms: number): Promise<boolean> {
    if (this.interruptPending) return Promise.resolve(false);
    if (!(ms > 0)) return Promise.resolve(true);
    const deadline = this.now() + ms;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout>;
      const fire = (): void => {
        const leftMs = deadline - this.now();
        if (leftMs > 0) {
          timer = setTimeout(fire, Math.ceil(leftMs));
          return;
        }
        this.wake = undefined;
        resolve(true);
      };
      timer = setTimeout(fire, ms);
      this.wake = () => {
        this.wake = undefined;
        clearTimeout(timer);
        resolve(false);
      };
    });
  }

  /** Passes the end of the stream on: later toxics close, then the destination socket does. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.output.push(null);
  }

  /** For a link being torn down: wake the toxic, and never run one again. */
  dispose(): void {
    this.interruptPending = true;
    this.wake?.();
    this.closedFlag = true;
  }
}
