import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { AssignmentStore } from './assignment-store.ts';
import type { Content } from './device-protocol.ts';

/** Options for {@link SqliteAssignmentStore}. */
export interface SqliteAssignmentStoreOptions {
  /** Database file; created if missing. `:memory:` is refused (nothing would be durable). */
  path: string;
  /** How often buffered acks are written, in ms. Acks lost in a crash are re-sent by devices. */
  ackFlushIntervalMs?: number;
  /** Wall clock in ms since the epoch, for `updated_at`; injectable for tests. */
  now?: () => number;
  /** Called when a background ack flush fails; the acks stay buffered for the next try. */
  onError?: (error: Error) => void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS assignments (
    device_id  TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    url        TEXT NOT NULL,
    updated_at INTEGER NOT NULL -- ms since the epoch
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS device_acks (
    device_id TEXT PRIMARY KEY,
    version   INTEGER NOT NULL,
    acked_at  INTEGER NOT NULL -- ms since the epoch
  ) WITHOUT ROWID;
`;

/**
 * Durable assignment store on node:sqlite.
 *
 * Every `assign` is its own transaction in WAL mode with `synchronous = FULL`,
 * so the WAL is fsynced before `assign` returns: an assignment the API has
 * acknowledged survives SIGKILL and power loss. The call blocks the event
 * loop for that fsync (typically 0.1-10 ms depending on the disk), which is
 * the honest cost of a synchronous durable write in a single-threaded backend.
 *
 * Acks are kept in memory and written in one transaction every
 * `ackFlushIntervalMs`, so an ack storm costs one fsync per interval, not one
 * per device.
 */
export class SqliteAssignmentStore implements AssignmentStore {
  readonly acknowledgesBeforeWrite = false;
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #assignNext: StatementSync;
  readonly #putIfNewer: StatementSync;
  readonly #selectContent: StatementSync;
  readonly #upsertAck: StatementSync;
  readonly #selectAck: StatementSync;
  /** Acks not yet written: deviceId -> version. */
  readonly #pendingAcks = new Map<string, number>();
  readonly #ackTimer: NodeJS.Timeout;
  #closed = false;

  constructor(options: SqliteAssignmentStoreOptions) {
    if (options.path === ':memory:' || options.path === '') {
      throw new Error(`database path must be a file, got ${JSON.stringify(options.path)}: assignments must survive a restart`);
    }
    this.#now = options.now ?? Date.now;
    // timeout: wait up to 5000 ms for a lock held by another process (e.g. an
    // operator's sqlite3 shell checking the database) instead of failing at once.
    this.#db = new DatabaseSync(options.path, { timeout: 5000 });
    try {
      const mode = this.#db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
      if (mode.journal_mode !== 'wal') {
        throw new Error(`database ${options.path}: journal_mode must be wal, sqlite kept ${mode.journal_mode}`);
      }
      this.#db.exec('PRAGMA synchronous = FULL');
      this.#db.exec(SCHEMA);
    } catch (error) {
      this.#db.close();
      throw error;
    }
    // One statement, so reading the previous version and writing the next one
    // is atomic without an explicit transaction.
    this.#assignNext = this.#db.prepare(`
      INSERT INTO assignments (device_id, version, url, updated_at) VALUES (?, 1, ?, ?)
      ON CONFLICT (device_id) DO UPDATE
        SET version = version + 1, url = excluded.url, updated_at = excluded.updated_at
      RETURNING version`);
    this.#putIfNewer = this.#db.prepare(`
      INSERT INTO assignments (device_id, version, url, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (device_id) DO UPDATE
        SET version = excluded.version, url = excluded.url, updated_at = excluded.updated_at
        WHERE excluded.version > assignments.version`);
    this.#selectContent = this.#db.prepare('SELECT version, url FROM assignments WHERE device_id = ?');
    this.#upsertAck = this.#db.prepare(`
      INSERT INTO device_acks (device_id, version, acked_at) VALUES (?, ?, ?)
      ON CONFLICT (device_id) DO UPDATE SET version = excluded.version, acked_at = excluded.acked_at
        -- Versions only grow. With several worker processes a device that
        -- moved may have an older ack still buffered in its previous worker;
        -- that late flush must not go back.
        WHERE excluded.version >= device_acks.version`);
    this.#selectAck = this.#db.prepare('SELECT version FROM device_acks WHERE device_id = ?');
    const onError = options.onError ?? ((error: Error) => console.error(`sqlite store: ack flush failed: ${error.message}`));
    this.#ackTimer = setInterval(() => {
      try {
        this.flushAcks();
      } catch (error) {
        onError(error as Error);
      }
    }, options.ackFlushIntervalMs ?? 1000);
    this.#ackTimer.unref();
  }

  assign(deviceId: string, url: string): Content {
    const row = this.#assignNext.get(deviceId, url, this.#now()) as { version: number };
    return { version: row.version, url };
  }

  /**
   * Writes an assignment whose version was chosen by the caller; an older
   * version than the stored one is ignored. Used by the delayed (unsafe) writer.
   */
  putIfNewer(deviceId: string, content: Content): void {
    this.#putIfNewer.run(deviceId, content.version, content.url, this.#now());
  }

  getContent(deviceId: string): Content | null {
    const row = this.#selectContent.get(deviceId) as { version: number; url: string } | undefined;
    return row === undefined ? null : { version: row.version, url: row.url };
  }

  recordAck(deviceId: string, version: number): void {
    this.#pendingAcks.set(deviceId, version);
  }

  getAckedVersion(deviceId: string): number | null {
    const pending = this.#pendingAcks.get(deviceId);
    if (pending !== undefined) return pending;
    const row = this.#selectAck.get(deviceId) as { version: number } | undefined;
    return row === undefined ? null : row.version;
  }

  getPendingAckVersion(deviceId: string): number | null {
    return this.#pendingAcks.get(deviceId) ?? null;
  }

  /** Writes buffered acks in one transaction. */
  flushAcks(): void {
    if (this.#pendingAcks.size === 0 || this.#closed) return;
    const ackedAt = this.#now();
    this.#db.exec('BEGIN');
    try {
      for (const [deviceId, version] of this.#pendingAcks) this.#upsertAck.run(deviceId, version, ackedAt);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    this.#pendingAcks.clear();
  }

  close(): void {
    if (this.#closed) return;
    clearInterval(this.#ackTimer);
    this.flushAcks();
    this.#closed = true;
    this.#db.close();
  }
}
