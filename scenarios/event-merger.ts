/** A gap between pushes (real ms) longer than this is the consumer's pause, not a source's silence. */
const consumerPauseMs = 1000;

/**
 * Merges several time-ordered event sources into one time-ordered stream.
 * Each source pushes events in its own time order together with a watermark:
 * a promise that it will never again emit an event earlier than that time.
 * An event is released once every live source's watermark has passed it, so
 * the output is ordered even though shard processes deliver in batches. A
 * source that has gone quiet for longer than `staleAfterMs` (real time),
 * while the others went on, no longer holds the others back.
 */
export class EventMerger<E extends { t: number }> {
  private readonly queues = new Map<string, { items: E[]; head: number; watermark: number; heardAt: number; closed: boolean }>();
  private readonly emit: (event: E) => void;
  private readonly staleAfterMs: number;
  private readonly now: () => number;
  /** When any source last pushed (real ms). */
  private lastPushAt: number;

  constructor(emit: (event: E) => void, staleAfterMs = 2000, now: () => number = () => performance.now()) {
    this.emit = emit;
    this.staleAfterMs = staleAfterMs;
    this.now = now;
    this.lastPushAt = now();
  }

  addSource(name: string): void {
    this.queues.set(name, { items: [], head: 0, watermark: -Infinity, heardAt: this.now(), closed: false });
  }

  /** Adds events (in time order) and raises the source's watermark, then releases what it can. */
  push(name: string, events: readonly E[], watermark: number): void {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown event source "${name}"`);
    const now = this.now();
    // Nothing from any source for a second: the consumer was busy (its
    // pipes full of other shards' batches) or all were quiet. Silence then
    // says nothing about one source, so every source's grace starts again;
    // otherwise the first batch read after the pause passes over the rest.
    if (now - this.lastPushAt > consumerPauseMs) for (const other of this.queues.values()) other.heardAt = now;
    this.lastPushAt = now;
    for (const event of events) queue.items.push(event);
    queue.watermark = Math.max(queue.watermark, watermark, events.length > 0 ? events[events.length - 1].t : -Infinity);
    queue.heardAt = now;
    this.release(false);
  }

  /** The source will send nothing more. */
  close(name: string): void {
    const queue = this.queues.get(name);
    if (queue) queue.closed = true;
    this.release(false);
  }

  /** Releases everything still queued, in time order (at the end of a run). */
  drain(): void {
    this.release(true);
  }

  private release(all: boolean): void {
    const now = this.now();
    let limit = Infinity;
    if (!all) {
      for (const queue of this.queues.values()) {
        const stale = now - queue.heardAt > this.staleAfterMs;
        if (!queue.closed && !stale) limit = Math.min(limit, queue.watermark);
      }
    }
    const queues = [...this.queues.values()];
    for (;;) {
      let best: (typeof queues)[number] | undefined;
      for (const queue of queues) {
        if (queue.head < queue.items.length && (!best || queue.items[queue.head].t < best.items[best.head].t)) best = queue;
      }
      if (!best || best.items[best.head].t > limit) break;
      this.emit(best.items[best.head++]);
    }
    for (const queue of queues) {
      // Drop released items now and then, not on every event.
      if (queue.head > 4096 && queue.head * 2 > queue.items.length) {
        queue.items.splice(0, queue.head);
        queue.head = 0;
      }
    }
  }
}
