import type { Socket } from 'node:net';
import { ChunkChannel } from './chunk-channel.ts';
import { ToxicStub, type Clock, type Rng } from './toxic-stub.ts';
import { defaultBufferSize, type Direction, type ToxicWrapper } from './toxic-wrapper.ts';
import { noopToxic } from './toxics/index.ts';

/** What a link draws on: randomness for toxicity and jitter, and the clock. */
export interface LinkContext {
  rng: Rng;
  now: Clock;
}

/**
 * One direction of one connection: source socket → a noop stage → one stage
 * per toxic, in the order they were added → destination socket. The noop
 * stage heads the chain so that there is always a stage to interrupt when the
 * first toxic is added. Changes to the chain (add, update, remove) interrupt
 * the stages concerned, rewire the queues and restart them; they run one at
 * a time, and no chunk is lost or reordered by them.
 */
export class ToxicLink {
  readonly direction: Direction;
  private readonly context: LinkContext;
  private readonly stubs: ToxicStub[] = [];
  /** Parallel to `stubs`; undefined for the noop head. */
  private readonly wrappers: (ToxicWrapper | undefined)[] = [];
  /** Parallel to `stubs`: whether this connection drew the toxic (toxicity), drawn when it joins and on updates. */
  private readonly active: boolean[] = [];
  private readonly input = new ChunkChannel(defaultBufferSize);
  private readonly output: ChunkChannel;
  private changes: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(direction: Direction, chain: readonly ToxicWrapper[], context: LinkContext) {
    this.direction = direction;
    this.context = context;
    let last = this.input;
    for (let i = 0; i <= chain.length; i++) {
      const wrapper = i === 0 ? undefined : chain[i - 1];
      const next = new ChunkChannel(i < chain.length ? chain[i].bufferSize : defaultBufferSize);
      const stub = new ToxicStub(last, next, context.rng, context.now);
      if (wrapper) stub.state = wrapper.toxic.newState?.();
      this.stubs.push(stub);
      this.wrappers.push(wrapper);
      this.active.push(wrapper ? this.draw(wrapper) : true);
      last = next;
    }
    this.output = last;
  }

  /**
   * Starts moving data: reads `source` into the chain (pausing it while the
   * chain is full) and writes what comes out to `dest`; when the stream ends,
   * `closeDest` is called.
   */
  start(source: Socket, dest: Socket, closeDest: () => void): void {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.input.push(null);
    };
    source.on('data', (data: Buffer) => {
      if (ended) return;
      this.input.push({ data, readAtMs: this.context.now() });
      if (!this.input.hasRoom() && !source.isPaused()) {
        source.pause();
        this.input.whenRoom(() => {
          if (!source.destroyed) source.resume();
        });
      }
    });
    source.once('end', end);
    source.once('close', end);
    this.stubs.forEach((stub, i) => this.runStub(i));
    source.resume();
    void this.writeLoop(dest, closeDest);
  }

  /** Adds a toxic at the end of the chain. */
  addToxic(wrapper: ToxicWrapper): Promise<void> {
    return this.change(async () => {
      const i = this.stubs.length;
      const last = this.stubs[i - 1];
      const queue = new ChunkChannel(wrapper.bufferSize);
      const stub = new ToxicStub(queue, last.output, this.context.rng, this.context.now);
      stub.state = wrapper.toxic.newState?.();
      // A closed last stage means the stream has ended: nothing to add to.
      if (!(await last.interrupt())) return;
      last.output = queue;
      this.stubs.push(stub);
      this.wrappers.push(wrapper);
      this.active.push(this.draw(wrapper));
      this.runStub(i);
      this.runStub(i - 1);
    });
  }

  /** Restarts a toxic with its new attributes and toxicity; its per-connection state is kept. */
  updateToxic(wrapper: ToxicWrapper): Promise<void> {
    return this.change(async () => {
      const i = this.wrappers.indexOf(wrapper);
      if (i < 0 || !(await this.stubs[i].interrupt())) return;
      this.active[i] = this.draw(wrapper);
      this.runStub(i);
    });
  }

  /**
   * Takes a toxic out of the chain. What was queued in front of it goes on,
   * in order, behind it. A toxic with `cleanup` may close the link instead
   * (timeout does: the data it held back is gone).
   */
  removeToxic(wrapper: ToxicWrapper): Promise<void> {
    return this.change(async () => {
      const i = this.wrappers.indexOf(wrapper);
      if (i < 0) return;
      const stub = this.stubs[i];
      if (!(await stub.interrupt())) return;
      // Only connections that drew the toxic are cleaned up: the others never had it.
      if (this.active[i]) wrapper.toxic.cleanup?.(stub);
      if (stub.closed) return;
      const previous = this.stubs[i - 1];
      const previousRunning = await previous.interrupt();
      for (let item = stub.input.take(); item !== undefined; item = stub.input.take()) stub.output.push(item);
      previous.output = stub.output;
      this.stubs.splice(i, 1);
      this.wrappers.splice(i, 1);
      this.active.splice(i, 1);
      if (previousRunning) this.runStub(i - 1);
    });
  }

  /** Stops every stage for good (the connection is closed). */
  dispose(): void {
    this.disposed = true;
    for (const stub of this.stubs) stub.dispose();
  }

  private draw(wrapper: ToxicWrapper): boolean {
    return this.context.rng() < wrapper.toxicity;
  }

  private runStub(i: number): void {
    if (this.disposed) return;
    const wrapper = this.wrappers[i];
    this.stubs[i].run(wrapper && this.active[i] ? wrapper.toxic : noopToxic);
  }

  private change(step: () => Promise<void>): Promise<void> {
    const next = this.changes.then(() => (this.disposed ? undefined : step()));
    this.changes = next.catch(() => undefined);
    return next;
  }

  private async writeLoop(dest: Socket, closeDest: () => void): Promise<void> {
    for (;;) {
      const item = await this.output.receive();
      if (this.disposed || dest.destroyed) return;
      if (item === null) return closeDest();
      if (!dest.write(item.data)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            dest.off('drain', done);
            dest.off('close', done);
            resolve();
          };
          dest.on('drain', done);
          dest.on('close', done);
        });
      }
    }
  }
}
