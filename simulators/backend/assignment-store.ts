import type { Content } from './device-protocol.ts';

/**
 * Where the backend keeps content assignments and device acks.
 *
 * Contract:
 * - `assign` gives the device the next version (previous + 1, first is 1) and
 *   returns it. When it returns, the assignment is durable unless the store
 *   says otherwise in `acknowledgesBeforeWrite` (a testing-only mode).
 * - `getContent` sees every assignment `assign` has returned, durable or not.
 * - `recordAck` is best effort: acks may be persisted lazily and the last
 *   moments of them may be lost on a crash (a device re-acks on the next push).
 * - `close` makes everything written so far durable and releases the file;
 *   no method may be called afterwards.
 */
export interface AssignmentStore {
  /** True when `assign` returns before the write is durable (testing only). */
  readonly acknowledgesBeforeWrite: boolean;
  assign(deviceId: string, url: string): Content;
  getContent(deviceId: string): Content | null;
  recordAck(deviceId: string, version: number): void;
  getAckedVersion(deviceId: string): number | null;
  /** The newest ack held in memory and not yet written; null if none (other processes cannot see it yet). */
  getPendingAckVersion(deviceId: string): number | null;
  close(): void;
}
