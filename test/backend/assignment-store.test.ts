import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { DelayedWriteAssignmentStore } from '../../simulators/backend/delayed-write-assignment-store.ts';
import { SqliteAssignmentStore } from '../../simulators/backend/sqlite-assignment-store.ts';

let dir: string;
let path: string;
const open: { close(): void }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aftershock-store-test-'));
  path = join(dir, 'store.sqlite');
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

function sqlite(): SqliteAssignmentStore {
  const store = new SqliteAssignmentStore({ path, now: () => 1_700_000_000_000 });
  open.push(store);
  return store;
}

test('versions count up from 1 per device and survive reopening', () => {
  const store = sqlite();
  expect(store.getContent('d-1')).toBeNull();
  expect(store.assign('d-1', 'a')).toEqual({ version: 1, url: 'a' });
  expect(store.assign('d-1', 'b')).toEqual({ version: 2, url: 'b' });
  expect(store.assign('d-2', 'c')).toEqual({ version: 1, url: 'c' });
  store.close();

  const reopened = sqlite();
  expect(reopened.getContent('d-1')).toEqual({ version: 2, url: 'b' });
  expect(reopened.getContent('d-2')).toEqual({ version: 1, url: 'c' });
});

test('putIfNewer never moves a device back to an older version', () => {
  const store = sqlite();
  store.putIfNewer('d-1', { version: 3, url: 'three' });
  store.putIfNewer('d-1', { version: 2, url: 'two' });
  expect(store.getContent('d-1')).toEqual({ version: 3, url: 'three' });
  expect(store.assign('d-1', 'four')).toEqual({ version: 4, url: 'four' });
});

test('acks are visible at once and written on flush and on close', () => {
  const store = sqlite();
  store.recordAck('d-1', 1);
  store.recordAck('d-1', 2);
  expect(store.getAckedVersion('d-1')).toBe(2);
  expect(store.getAckedVersion('d-2')).toBeNull();
  store.close();
  expect(sqlite().getAckedVersion('d-1')).toBe(2);
});

test('an in-memory database is refused: nothing in it would survive a restart', () => {
  expect(() => new SqliteAssignmentStore({ path: ':memory:' })).toThrow(
    'database path must be a file, got ":memory:": assignments must survive a restart',
  );
});

test('the delayed (unsafe) store answers before writing, and writes after the delay or on close', async () => {
  const inner = sqlite();
  const delayed = new DelayedWriteAssignmentStore(inner, { writeDelayMs: 30 });
  expect(delayed.acknowledgesBeforeWrite).toBe(true);
  expect(delayed.assign('d-1', 'a')).toEqual({ version: 1, url: 'a' });
  expect(delayed.assign('d-1', 'b')).toEqual({ version: 2, url: 'b' });
  expect(delayed.getContent('d-1')).toEqual({ version: 2, url: 'b' });
  expect(inner.getContent('d-1')).toBeNull();

  await new Promise((resolve) => setTimeout(resolve, 80));
  expect(inner.getContent('d-1')).toEqual({ version: 2, url: 'b' });

  delayed.assign('d-2', 'c');
  open.splice(open.indexOf(inner), 1);
  delayed.close();
  expect(sqlite().getContent('d-2')).toEqual({ version: 1, url: 'c' });
});
