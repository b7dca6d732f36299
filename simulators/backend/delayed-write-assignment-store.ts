import type { AssignmentStore } from './assignment-store.ts';
import type { Content } from './device-protocol.ts';
import type { SqliteAssignmentStore } from './sqlite-assignment-store.ts';

/** Options for {@link DelayedWriteAssignmentStore}. */
export interface DelayedWriteAssignmentStoreOptions {
  /** How long an acknowledged assignment stays only in memory, in ms. */
  writeDelayMs?: number;
  /** Called when a delayed write fails (the assignment is then lost, as on a crash). */
  onError?: (error: Error) => void;
}

/**
 * TESTING ONLY (`--unsafe-ack-before-write`): a deliberately broken store that
 * answers `assign` at once and writes to the durable store `writeDelayMs`
 * later. A SIGKILL inside that window loses assignments the API has already
 * acknowledged, which is what the harness's lost-assignment ledger must catch.
 *
 * Reads see the not-yet-written versions, so the API and the devices cannot
 * tell the difference until the process dies. A graceful `close` writes
 * everything, so only a hard kill loses data.
 */
export class DelayedWriteAssignmentStore implements AssignmentStore {
  readonly acknowledgesBeforeWrite = true;
  readonly #inner: SqliteAssignmentStore;
  readonly #writeDelayMs: number;
  readonly #onError: (error: Error) => void;
  /** Acknowledged but not yet written: deviceId -> newest content. */
  readonly #unwritten = new Map<string, Content>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(inner: SqliteAssignmentStore, options: DelayedWriteAssignmentStoreOptions = {}) {
    this.#inner = inner;
    this.#writeDelayMs = options.writeDelayMs ?? 50;
    this.#onError = options.onError ?? ((error) => console.error(`delayed store: write failed: ${error.message}`));
  }

  assign(deviceId: string, url: string): Content {
    const previous = this.getContent(deviceId);
    const content: Content = { version: (previous?.version ?? 0) + 1, url };
    this.#unwritten.set(deviceId, content);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#write(deviceId, content);
    }, this.#writeDelayMs);
    this.#timers.add(timer);
    return content;
  }

  getContent(deviceId: string): Content | null {
    return this.#unwritten.get(deviceId) ?? this.#inner.getContent(deviceId);
  }

  recordAck(deviceId: string, version: number): void {
    this.#inner.recordAck(deviceId, version);
  }

  getAckedVersion(deviceId: string): number | null {
    return this.#inner.getAckedVersion(deviceId);
  }

  getPendingAckVersion(deviceId: string): number | null {
    return this.#inner.getPendingAckVersion(deviceId);
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const [deviceId, content] of [...this.#unwritten]) this.#write(deviceId, content);
    this.#inner.close();
  }

  #write(deviceId: string, content: Content): void {
    try {
      this.#inner.putIfNewer(deviceId, content);
    } catch (error) {
      this.#onError(error as Error);
    }
    // Only forget the entry if no newer assignment replaced it meanwhile.
    if (this.#unwritten.get(deviceId) === content) this.#unwritten.delete(deviceId);
  }
}
