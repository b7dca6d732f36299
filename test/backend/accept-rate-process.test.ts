// --accept-rate in the real backend process: a burst of upgrades on 127.0.0.1
// and the count admitted against the rule's exact bound for the time it took.
// Real time: the bound is exact (admissions at least 1000/R ms apart, so n of
// them span (n - 1) * 1000/R ms), measured from before the first upgrade is
// sent to after the last answer is read, a window that holds the backend's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { killAllBackends, spawnBackend, type SpawnedBackend } from './backend-process.ts';

let dir: string;
const sockets = new Set<WebSocket>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aftershock-accept-rate-test-'));
});

afterEach(async () => {
  for (const socket of sockets) socket.terminate();
  sockets.clear();
  await killAllBackends();
  rmSync(dir, { recursive: true, force: true });
});

/** How one upgrade ended: admitted (open), or refused with its HTTP status and error text. */
type Outcome = { admitted: true } | { admitted: false; status: number; error: string };

/** One upgrade to `url`; an admitted socket stays open (in its handshake) until afterEach. */
function upgrade(url: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 5000 });
    sockets.add(socket);
    socket.once('open', () => resolve({ admitted: true }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ admitted: false, status: response.statusCode ?? 0, error: (JSON.parse(body) as { error: string }).error }));
    });
    socket.once('error', reject);
  });
}

/** `count` upgrades sent at once; the outcomes and the window they took, ms. */
async function burst(url: string, count: number): Promise<{ outcomes: Outcome[]; windowMs: number }> {
  const startedMs = performance.now();
  const outcomes = await Promise.all(Array.from({ length: count }, () => upgrade(url)));
  return { outcomes, windowMs: performance.now() - startedMs };
}

async function rejectedTotal(backend: SpawnedBackend): Promise<number> {
  return ((await (await fetch(`${backend.baseUrl}/metrics`)).json()) as { handshakesRejected: number }).handshakesRejected;
}

test('--accept-rate 50: of 200 upgrades at once, at most 1 + 50/s of the time they took are admitted and the rest get 503', async () => {
  const backend = await spawnBackend(['--db', join(dir, 'backend.sqlite'), '--accept-rate', '50']);
  const { outcomes, windowMs } = await burst(backend.devicesUrl, 200);
  const admitted = outcomes.filter((o) => o.admitted).length;
  expect(admitted).toBeGreaterThanOrEqual(1);
  expect(admitted).toBeLessThanOrEqual(1 + Math.floor((windowMs * 50) / 1000));
  const refused = outcomes.filter((o) => !o.admitted);
  expect(refused).toHaveLength(200 - admitted);
  for (const o of refused) expect(o).toEqual({ admitted: false, status: 503, error: 'handshakes over the accept rate of 50/s (--accept-rate); retry later' });
  expect(await rejectedTotal(backend)).toBe(200 - admitted);
  expect(backend.stderr()).toContain('at most 50 handshakes/s');
});

test('--accept-rate 50 under upgrades at 200/s for a second admits about 50/s: within the exact bound, and at least half of it', async () => {
  const backend = await spawnBackend(['--db', join(dir, 'backend.sqlite'), '--accept-rate', '50']);
  const pending: Promise<Outcome>[] = [];
  const startedMs = performance.now();
  // One upgrade every 5 ms by the schedule (a late timer sends what is due), 200 in all.
  while (pending.length < 200) {
    const due = Math.min(200, Math.floor((performance.now() - startedMs) / 5) + 1);
    while (pending.length < due) pending.push(upgrade(backend.devicesUrl));
    await sleep(5);
  }
  const outcomes = await Promise.all(pending);
  const windowMs = performance.now() - startedMs;
  const admitted = outcomes.filter((o) => o.admitted).length;
  expect(admitted).toBeLessThanOrEqual(1 + Math.floor((windowMs * 50) / 1000));
  // Arrivals 5 ms apart leave a slot unused for at most ~5 ms after it opens;
  // half the rate allows 20 ms more of scheduling delay per slot on a busy machine.
  expect(admitted).toBeGreaterThanOrEqual(Math.floor((windowMs * 25) / 1000));
  expect(outcomes.filter((o) => !o.admitted && o.status === 503)).toHaveLength(200 - admitted);
  expect(await rejectedTotal(backend)).toBe(200 - admitted);
});

test('--accept-rate 50 with 2 workers: each admits 25/s, and the 503 says so', async () => {
  const backend = await spawnBackend(['--db', join(dir, 'backend.sqlite'), '--accept-rate', '50', '--workers', '2'], {}, { group: true });
  const { outcomes, windowMs } = await burst(backend.devicesUrl, 200);
  const admitted = outcomes.filter((o) => o.admitted).length;
  // Each worker's own bound; the kernel decides how the upgrades are spread over them.
  expect(admitted).toBeGreaterThanOrEqual(1);
  expect(admitted).toBeLessThanOrEqual(2 * (1 + Math.floor((windowMs * 25) / 1000)));
  for (const o of outcomes.filter((o) => !o.admitted)) {
    expect(o).toEqual({ admitted: false, status: 503, error: "handshakes over this worker's share of the accept rate, 25/s of 50/s over 2 workers (--accept-rate); retry later" });
  }
  // Summed over the workers, as /metrics reports every count.
  expect(await rejectedTotal(backend)).toBe(200 - admitted);
  expect(backend.stderr()).toContain('at most 50 handshakes/s (25/s per worker)');
});
