// The harness's reference target sized for a large fleet: the runner passes
// the device count, the backend starts as supervisor + workers, and the
// harness's process controls (group signals) still cover every process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { referenceTarget } from '../../scenarios/targets/reference-target.ts';
import type { StartedTarget } from '../../scenarios/targets/target.ts';
import { isRunning, waitUntilGone } from './backend-process.ts';

let runDir: string;
let target: StartedTarget | undefined;

beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), 'aftershock-target-workers-'));
});

afterEach(async () => {
  await target?.stop();
  target = undefined;
  rmSync(runDir, { recursive: true, force: true });
});

test('20,000 expected devices start 2 workers; a kill of the target process reaches both, a restart brings 2 new ones', async () => {
  target = await referenceTarget({ kind: 'reference', heartbeatInterval: 30_000 }).start({ runDir, timeScale: 1, expectedConnections: 20_000 });
  const process = target.process!;
  const first = JSON.parse(process.readyLine) as { pid: number; workerPids: number[] };
  expect(first.pid).toBe(process.pid);
  expect(first.workerPids).toHaveLength(2);
  const metrics = (await (await fetch(`${target.endpoints.httpBaseUrl}/metrics`)).json()) as { workers: unknown[] };
  expect(metrics.workers).toHaveLength(2);

  await process.kill();
  await waitUntilGone(first.workerPids, 2000);

  // Same port again, as process chaos restarts it.
  await process.start();
  const second = JSON.parse(process.readyLine) as { workerPids: number[] };
  expect(second.workerPids).toHaveLength(2);
  expect(second.workerPids.every(isRunning)).toBe(true);
  expect((await fetch(`${target.endpoints.httpBaseUrl}/healthz`)).status).toBe(200);

  await target.stop();
  await waitUntilGone(second.workerPids, 2000);
});

test('without a device count the target stays one process', async () => {
  target = await referenceTarget({ kind: 'reference', heartbeatInterval: 30_000 }).start({ runDir, timeScale: 1 });
  expect(JSON.parse(target.process!.readyLine)).not.toHaveProperty('workerPids');
});
