import type { ClusterMetrics } from '../../simulators/backend/cluster-view.ts';
// The multi-process backend (--workers 2) as the harness runs it: real
// processes in their own process group, real sockets on 127.0.0.1, real time.
// Connections are spread by the kernel (SO_REUSEPORT hash of the 4-tuple),
// so a test that needs devices on both workers connects enough of them that
// all landing on one is below 1e-7, and then checks the per-worker counts.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { isRunning, killAllBackends, runBackendToExit, spawnBackend, waitUntilGone, type SpawnedBackend } from './backend-process.ts';
import { connectAndHello, refusedUpgrade, terminateAllDevices, type TestDevice } from './device-client.ts';

let dir: string;
let db: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aftershock-workers-test-'));
  db = join(dir, 'backend.sqlite');
});

afterEach(async () => {
  terminateAllDevices();
  await killAllBackends();
  rmSync(dir, { recursive: true, force: true });
});

type Metrics = ClusterMetrics;

function startTwoWorkers(extra: string[] = []): Promise<SpawnedBackend> {
  return spawnBackend(['--db', db, '--workers', '2', ...extra], {}, { group: true });
}

async function metrics(backend: SpawnedBackend): Promise<Metrics> {
  return (await (await fetch(`${backend.baseUrl}/metrics`)).json()) as Metrics;
}

/** Connects `count` devices d-0000..; every one must get its welcome. */
async function connectMany(backend: SpawnedBackend, count: number): Promise<TestDevice[]> {
  const devices: TestDevice[] = [];
  // In batches of 50: quick, without a burst of hundreds of handshakes at once.
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) => connectAndHello(backend.devicesUrl, deviceId(i + j))),
    );
    for (const { device, welcome } of batch) {
      expect(welcome.type).toBe('welcome');
      devices.push(device);
    }
  }
  return devices;
}

function deviceId(i: number): string {
  return `d-${String(i).padStart(4, '0')}`;
}

/** One HTTP request on `agent` (keep-alive, one socket: every request goes to the same worker). */
function call(agent: Agent, backend: SpawnedBackend, method: string, path: string, body?: unknown): Promise<{ status: number; worker: string; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${backend.baseUrl}${path}`, { method, agent }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, worker: String(response.headers['x-backend-worker']), body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function pinnedAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

describe('two workers on one port', () => {
  test('connections land on both workers; /metrics and /healthz describe the whole backend', async () => {
    const backend = await startTwoWorkers();
    const workerPids = backend.ready.workerPids!;
    expect(backend.ready).toEqual({ event: 'ready', pid: backend.child.pid, host: '127.0.0.1', port: expect.any(Number), workerPids });
    expect(workerPids).toHaveLength(2);
    expect(backend.ready.port).toBeGreaterThan(0);

    await connectMany(backend, 200);
    const m = await metrics(backend);
    expect(m.pid).toBe(backend.child.pid);
    expect(m.devicesOnline).toBe(200);
    expect(m.handshakesTotal).toBe(200);
    expect(m.handshakesRejected).toBe(0);
    expect(m.workers.map((w) => w.pid)).toEqual([...workerPids].sort((a, b) => a - b));
    // The kernel's hash spreads them; each worker got some (all 200 on one: 2^-199).
    for (const worker of m.workers) expect(worker.devicesOnline).toBeGreaterThan(0);
    expect(m.workers[0].devicesOnline + m.workers[1].devicesOnline).toBe(200);
    // Three Node processes (supervisor + 2 workers), each well over 20 MB resident.
    expect(m.rssBytes).toBeGreaterThan(3 * 20 * 1024 * 1024);
    expect(m.cpuUserUs).toBeGreaterThan(0);

    expect(await (await fetch(`${backend.baseUrl}/healthz`)).json()).toEqual({ status: 'ok', pid: backend.child.pid, devicesOnline: 200 });
    expect(backend.stdoutLines).toHaveLength(1);
  });

  test('a PUT served by one worker is pushed to devices on the other; GET sees them online and their acks', async () => {
    const backend = await startTwoWorkers();
    const devices = await connectMany(backend, 40);
    const perWorker = (await metrics(backend)).workers;
    const agent = pinnedAgent();
    try {
      const first = await call(agent, backend, 'GET', '/healthz');
      const servingPid = Number(first.worker);
      expect(backend.ready.workerPids).toContain(servingPid);
      // Devices held by the worker that does NOT serve our HTTP connection.
      const elsewhere = perWorker.find((w) => w.pid !== servingPid)!.devicesOnline;
      expect(elsewhere).toBeGreaterThan(0);

      for (let i = 0; i < devices.length; i += 1) {
        const put = await call(agent, backend, 'PUT', `/devices/${deviceId(i)}/content`, { url: `https://cdn.example/${i}` });
        expect(put).toEqual({ status: 200, worker: String(servingPid), body: { deviceId: deviceId(i), version: 1, url: `https://cdn.example/${i}` } });
      }
      // Every device got its push, so the `elsewhere` ones got it across workers.
      for (let i = 0; i < devices.length; i += 1) {
        expect(await devices[i].next()).toEqual({ type: 'assign', deviceId: deviceId(i), version: 1, url: `https://cdn.example/${i}` });
        devices[i].send({ type: 'ack', version: 1 });
      }
      // Acks sit in the receiving worker's memory for up to 1 s before the db
      // has them; GET must see them either way. Poll (bound: 2000 ms).
      const startedMs = performance.now();
      let states: Record<string, unknown>[] = [];
      do {
        states = await Promise.all(devices.map((_, i) => call(agent, backend, 'GET', `/devices/${deviceId(i)}`).then((r) => r.body)));
      } while (states.some((state) => state.ackedVersion !== 1) && performance.now() - startedMs < 2000);
      for (let i = 0; i < devices.length; i += 1) {
        expect(states[i]).toEqual({ deviceId: deviceId(i), content: { version: 1, url: `https://cdn.example/${i}` }, online: true, ackedVersion: 1 });
      }
      expect((await call(agent, backend, 'GET', '/devices/d-never')).status).toBe(404);

      // Admission is one switch for the whole backend: closed through one
      // worker, every upgrade is refused (16 fresh connections hash to both
      // workers but for 2^-15), then open again.
      expect((await call(agent, backend, 'POST', '/admin/close')).body).toEqual({ admission: 'closed' });
      const refused = await Promise.all(Array.from({ length: 16 }, () => refusedUpgrade(backend.devicesUrl)));
      expect(refused.map((r) => r.status)).toEqual(Array(16).fill(503));
      expect((await call(agent, backend, 'POST', '/admin/open')).body).toEqual({ admission: 'open' });
      const m = await metrics(backend);
      expect(m.handshakesRejected).toBe(16);
      expect(m.workers.every((w) => w.devicesOnline > 0)).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  test('the CPU hog route burns every worker: no handshake completes on either until it ends', async () => {
    const backend = await startTwoWorkers();
    const hogMs = 1500;
    const hogAtMs = performance.now();
    const answer = await fetch(`${backend.baseUrl}/admin/chaos/cpu`, { method: 'POST', body: JSON.stringify({ dutyCycle: 1, durationMs: hogMs }) });
    expect(answer.status).toBe(202);
    // Give the hog its 20 ms start delay, then storm both workers.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const welcomedAtMs = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const { welcome } = await connectAndHello(backend.devicesUrl, deviceId(i));
        expect(welcome.type).toBe('welcome');
        return performance.now() - hogAtMs;
      }),
    ).catch(async (error: unknown) => {
      // connectAndHello waits 2000 ms for the welcome; make the failure say what happened.
      throw new Error(`a device was not welcomed: ${(error as Error).message}`);
    });
    // Not one welcome before the hog's end (tolerance: 50 ms of timer slack).
    expect(Math.min(...welcomedAtMs)).toBeGreaterThanOrEqual(hogMs - 50);
    const m = await metrics(backend);
    expect(m.devicesOnline).toBe(24);
    // ...and both workers served some of them, so both were blocked.
    for (const worker of m.workers) expect(worker.devicesOnline).toBeGreaterThan(0);
  });
});

describe('process chaos reaches every process', () => {
  test('SIGKILL to the group kills the supervisor and every worker and frees the port', async () => {
    const backend = await startTwoWorkers();
    await connectMany(backend, 20);
    // One SO_REUSEPORT listener per worker, none in the supervisor.
    expect(listenersOn(backend.ready.port)).toBe(2);
    backend.signalGroup('SIGKILL');
    expect(await backend.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await waitUntilGone(backend.ready.workerPids!, 2000);
    // None of the backend's processes listens on the port any more. (Another
    // test running beside this one may be handed the freed port at once, so
    // the check is on who listens, not on whether anybody does.)
    const ours = [backend.child.pid!, ...backend.ready.workerPids!];
    expect(listenerPidsOn(backend.ready.port).filter((pid) => ours.includes(pid))).toEqual([]);
  });

  test('SIGSTOP to the group freezes every worker (handshakes time out), SIGCONT resumes them', async () => {
    const backend = await startTwoWorkers();
    await connectMany(backend, 20);
    backend.signalGroup('SIGSTOP');
    try {
      // 16 fresh connections reach both workers (but for 2^-15); none completes.
      const outcomes = await Promise.all(Array.from({ length: 16 }, () => attemptUpgrade(backend.devicesUrl, 500)));
      expect(outcomes).toEqual(Array(16).fill('timed out'));
    } finally {
      backend.signalGroup('SIGCONT');
    }
    const outcomes = await Promise.all(Array.from({ length: 16 }, () => attemptUpgrade(backend.devicesUrl, 2000)));
    expect(outcomes).toEqual(Array(16).fill('open'));
    expect((await metrics(backend)).devicesOnline).toBe(20);
  });

  test('SIGTERM to the group stops every process gracefully, exit code 0', async () => {
    const backend = await startTwoWorkers();
    const { device } = await connectAndHello(backend.devicesUrl, 'd-1');
    backend.signalGroup('SIGTERM');
    expect(await backend.exited).toEqual({ code: 0, signal: null });
    await waitUntilGone(backend.ready.workerPids!, 2000);
    expect((await device.closed).code).toBe(1006);
    expect(backend.stderr()).not.toContain('exited unexpectedly');
  });

  test('SIGTERM during a CPU hog: the stop waits for the hog to end, as one process would', async () => {
    const backend = await startTwoWorkers();
    const hogMs = 1500;
    const startedMs = performance.now();
    const answer = await fetch(`${backend.baseUrl}/admin/chaos/cpu`, { method: 'POST', body: JSON.stringify({ dutyCycle: 1, durationMs: hogMs }) });
    expect(answer.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 100));
    backend.signalGroup('SIGTERM');
    expect(await backend.exited).toEqual({ code: 0, signal: null });
    // Not before the hog's end (50 ms of timer slack).
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(hogMs - 50);
    await waitUntilGone(backend.ready.workerPids!, 2000);
  });

  test('SIGKILL to the supervisor alone: the workers exit within 2 s', async () => {
    const backend = await startTwoWorkers();
    await connectMany(backend, 20);
    backend.child.kill('SIGKILL');
    await backend.exited;
    const tookMs = await waitUntilGone(backend.ready.workerPids!, 2000);
    expect(tookMs).toBeLessThan(2000);
  });

  test('a worker that dies is reported on stderr and not restarted; the other keeps serving', async () => {
    const backend = await startTwoWorkers();
    const [victim, survivor] = backend.ready.workerPids!;
    process.kill(victim, 'SIGKILL');
    await waitUntilGone([victim], 2000);
    // The supervisor reports it as soon as it reaps the worker (bound: 2000 ms).
    for (const startedMs = performance.now(); !backend.stderr().includes('exited unexpectedly') && performance.now() - startedMs < 2000; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(backend.stderr()).toContain(`worker 1 (pid ${victim}) exited unexpectedly (SIGKILL); 1 of 2 workers left; not restarted`);
    expect(isRunning(survivor)).toBe(true);
    await connectMany(backend, 10);
    const m = await metrics(backend);
    expect(m.workers).toEqual([{ pid: survivor, devicesOnline: 10 }]);
  });

  test('a port another process holds fails the start with exit code 2, as with one process', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const result = await runBackendToExit(['--db', db, '--workers', '2', '--port', String(port)]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`aftershock-backend: cannot listen on 127.0.0.1:${port}: EADDRINUSE; pick another --port or --host\n`);
    } finally {
      holder.close();
    }
  });
});

/** Opens a WebSocket with a handshake deadline; says whether it opened. */
function attemptUpgrade(url: string, timeoutMs: number): Promise<'open' | 'timed out' | string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    socket.once('open', () => {
      socket.terminate();
      resolve('open');
    });
    socket.once('error', (error) => resolve(/timed out/.test(error.message) ? 'timed out' : error.message));
  });
}

/** Sockets in LISTEN state on `port` (any address), from /proc/net/tcp and tcp6. */
/** PIDs of the processes holding a listening socket on `port` (from /proc/net and /proc/PID/fd). */
function listenerPidsOn(port: number): number[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields[1] local address:port, fields[3] state (0A = LISTEN), fields[9] inode.
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') inodes.add(fields[9]);
    }
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = readlinkSync(`/proc/${entry}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
        if (match && inodes.has(match[1])) {
          pids.push(Number(entry));
          break;
        }
      } catch {
        // The fd closed meanwhile.
      }
    }
  }
  return pids;
}

function listenersOn(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields[1] is local address:port in hex, fields[3] the state (0A = LISTEN).
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') count += 1;
    }
  }
  return count;
}
