/** A piece of a byte stream as one read from a socket returned it. */
export interface StreamChunk {
  readonly data: Buffer;
  /**
   * When the chunk entered the proxy, in ms on the server's clock. Latency is
   * counted from here, so a chunk that waited behind others is not delayed
   * twice.
   */
  readonly readAtMs: number;
}

/** A chunk, or `null` for the end of the stream (the source closed, or a toxic closed the link). */
export type StreamItem = StreamChunk | null;

/**
 * The queue between two stages of a link. `push` never waits and never drops,
 * so a stage that is interrupted while handing a chunk on has already handed
 * it on. `capacity` (in chunks) is backpressure by agreement: a stage waits
 * for `hasRoom()` after pushing, and the socket reader pauses its socket.
 * One consumer at a time.
 */
export class ChunkChannel {
  private readonly items: StreamItem[] = [];
  private itemWaiter: (() => void) | undefined;
  private roomWaiters: (() => void)[] = [];

  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.items.length;
  }

  hasRoom(): boolean {
    return this.items.length < this.capacity;
  }

  push(item: StreamItem): void {
    this.items.push(item);
    const waiter = this.itemWaiter;
    this.itemWaiter = undefined;
    waiter?.();
  }

  /** Puts an item back at the front, for a stage that took it and was interrupted before acting on it. */
  unshift(item: StreamItem): void {
    this.items.unshift(item);
  }

  /** The next item, or `undefined` when none is queued. */
  take(): StreamItem | undefined {
    if (this.items.length === 0) return undefined;
    const item = this.items.shift()!;
    if (this.hasRoom() && this.roomWaiters.length > 0) {
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const waiter of waiters) waiter();
    }
    return item;
  }

  /** Calls `waiter` once when an item is pushed; returns the function that cancels the wait. */
  whenItem(waiter: () => void): () => void {
    this.itemWaiter = waiter;
    return () => {
      if (this.itemWaiter === waiter) this.itemWaiter = undefined;
    };
  }

  /** Calls `waiter` once when there is room again; returns the function that cancels the wait. */
  whenRoom(waiter: () => void): () => void {
    if (this.hasRoom()) {
      waiter();
      return () => {};
    }
    this.roomWaiters.push(waiter);
    return () => {
      this.roomWaiters = this.roomWaiters.filter((w) => w !== waiter);
    };
  }

  /** Resolves with the next item (for the socket writer, which is never interrupted). */
  receive(): Promise<StreamItem> {
    const item = this.take();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.whenItem(() => resolve(this.take()!)));
  }
}
