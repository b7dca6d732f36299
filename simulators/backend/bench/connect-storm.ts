// Measures what the reference backend costs per connection and how fast it
// takes a storm of them, on this machine, over loopback:
//   node simulators/backend/bench/connect-storm.ts --connections 100000 [--workers auto|N]
//     [--max-in-flight 2000] [--hold-ms 3000] [--deadline-ms 120000]
// Starts the backend (main.ts, own process group, own db in a temp dir),
// reads the RSS of all its processes while empty, opens the connections from
// forked load processes (storm-client.ts, up to 14,000 each, each on its own
// 127.1.r.k source address with explicit source ports), and prints one JSON line on stdout:
//   connections, workers, acceptMs (first connect to last welcome),
//   handshakesPerSec, backendCpuMsPerHandshake, emptyRssMB, loadedRssMB, kbPerConnection, perWorker.
// Safety: loopback only; stops (and kills everything it started, by pid)
// if free memory falls under 2 GiB or the deadline passes.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClientReport } from './storm-client.ts';

const backendMain = fileURLToPath(new URL('../main.ts', import.meta.url));
const clientMain = fileURLToPath(new URL('./storm-client.ts', import.meta.url));
/** Connections per load process: under the 20,000 open files a process may have. */
const PER_CLIENT = 14_000;
const MIN_FREE_BYTES = 2 * 1024 ** 3;

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '19000' },
    workers: { type: 'string', default: 'auto' },
    'max-in-flight': { type: 'string', default: '2000' },
    'hold-ms': { type: 'string', default: '3000' },
    'deadline-ms': { type: 'string', default: '120000' },
  },
});
const connections = Number(values.connections);
const maxInFlightTotal = Number(values['max-in-flight']);
const holdMs = Number(values['hold-ms']);
const deadlineMs = Number(values['deadline-ms']);
if (!(connections > 0 && connections <= 200_000)) throw new Error(`--connections must be 1..200000, got ${values.connections}`);

function freeBytes(): number {
  const line = readFileSync('/proc/meminfo', 'utf8').split('\n').find((l) => l.startsWith('MemAvailable:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/** Resident set of a process, in bytes. */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/** CPU time of a process so far, in ms (USER_HZ = 100), user and system. */
function cpuMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

function sumCpuMs(pids: readonly number[]): { user: number; system: number } {
  const total = { user: 0, system: 0 };
  for (const pid of pids) {
    const cpu = cpuMs(pid);
    total.user += cpu.user;
    total.system += cpu.system;
  }
  return total;
}

const log = (line: string): void => void process.stderr.write(`connect-storm: ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

if (freeBytes() < MIN_FREE_BYTES + connections * 40 * 1024) {
  throw new Error(`only ${Math.round(freeBytes() / 2 ** 20)} MiB free; need 2 GiB plus ~40 KiB per connection (both ends)`);
}

const dir = mkdtempSync(join(tmpdir(), 'aftershock-storm-'));
const workerArgs = values.workers === 'auto' ? ['--workers', 'auto', '--expected-connections', String(connections)] : ['--workers', values.workers];
const backend = spawn(process.execPath, [backendMain, '--db', join(dir, 'backend.db'), '--heartbeat-interval-ms', '600000', ...workerArgs], {
  stdio: ['ignore', 'pipe', 'inherit'],
  detached: true,
});
const clients: ChildProcess[] = [];
let finished = false;

const cleanUp = (): void => {
  if (finished) return;
  finished = true;
  for (const client of clients) if (client.exitCode === null) client.kill('SIGKILL');
  try {
    process.kill(-backend.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}
const guard = setInterval(() => {
  if (freeBytes() < MIN_FREE_BYTES) {
    log(`free memory under 2 GiB (${Math.round(freeBytes() / 2 ** 20)} MiB): stopping`);
    cleanUp();
    process.exit(3);
  }
}, 500);
const deadline = setTimeout(() => {
  log(`deadline of ${deadlineMs} ms passed: stopping`);
  cleanUp();
  process.exit(3);
}, deadlineMs);

const ready = JSON.parse(
  await new Promise<string>((resolve) => backend.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()))),
) as { pid: number; port: number; workerPids?: number[] };
const pids = [ready.pid, ...(ready.workerPids ?? [])];
await sleep(1000);
const emptyRss = pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
const cpuBefore = sumCpuMs(pids);
log(`backend ready on port ${ready.port}, ${pids.length} process(es), ${Math.round(emptyRss / 2 ** 20)} MiB resident while empty`);

const clientCount = Math.ceil(connections / PER_CLIENT);
// Source addresses differ per run: the previous run's client ports may still be in TIME_WAIT.
const runSalt = (process.pid % 250) + 1;
const progress = new Map<number, { welcomed: number; failed: number; inFlight: number }>();
const progressTimer = setInterval(() => {
  let welcomed = 0;
  let failed = 0;
  let inFlight = 0;
  for (const p of progress.values()) {
    welcomed += p.welcomed;
    failed += p.failed;
    inFlight += p.inFlight;
  }
  const perWorker = (ready.workerPids ?? []).map((pid) => cpuMs(pid)).map((c) => c.user + c.system);
  log(`${Math.round((performance.now() - stormStartMs) / 1000)} s: ${welcomed} welcomed, ${failed} failed, ${inFlight} in flight; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}; worker cpu ms ${perWorker.join(' ')}`);
}, 2000);
const stormStartMs = performance.now();
const reports = await Promise.all(
  Array.from({ length: clientCount }, (_, k) => {
    const count = Math.min(PER_CLIENT, connections - k * PER_CLIENT);
    const plan = {
      port: ready.port,
      localAddress: `127.1.${runSalt}.${k + 1}`,
      firstDevice: k * PER_CLIENT,
      count,
      maxInFlight: Math.max(1, Math.round(maxInFlightTotal / clientCount)),
      deadlineMs,
    };
    const client = fork(clientMain, [JSON.stringify(plan)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    clients.push(client);
    return new Promise<ClientReport>((resolve, reject) => {
      client.on('message', (message: { type: string; report: ClientReport; welcomed: number; failed: number; inFlight: number }) => {
        if (message.type === 'done') resolve(message.report);
        if (message.type === 'progress') progress.set(k, message);
      });
      client.once('exit', (code) => reject(new Error(`storm client ${k + 1} exited (${code}) before its report`)));
    });
  }),
);
clearInterval(progressTimer);
const acceptMs = Math.max(...reports.map((r) => r.elapsedMs));
const cpuAfter = sumCpuMs(pids);
const welcomed = reports.reduce((sum, r) => sum + r.welcomed, 0);
const failed = reports.reduce((sum, r) => sum + r.failed, 0);
const retries: Record<string, number> = {};
for (const report of reports) for (const [cause, n] of Object.entries(report.retries)) retries[cause] = (retries[cause] ?? 0) + n;
log(`${welcomed} welcomed, ${failed} failed in ${Math.round(performance.now() - stormStartMs)} ms; retries ${JSON.stringify(retries)}`);

await sleep(holdMs);
const loadedRss = pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
const metrics = (await (await fetch(`http://127.0.0.1:${ready.port}/metrics`)).json()) as {
  devicesOnline: number;
  heapUsedBytes: number;
  workers?: { pid: number; devicesOnline: number }[];
};
const result = {
  connections,
  workers: pids.length === 1 ? 1 : pids.length - 1,
  welcomed,
  failed,
  retries,
  devicesOnline: metrics.devicesOnline,
  acceptMs: Math.round(acceptMs),
  handshakesPerSec: Math.round(welcomed / (acceptMs / 1000)),
  backendCpuMsPerHandshake: {
    user: Math.round(((cpuAfter.user - cpuBefore.user) / welcomed) * 1000) / 1000,
    system: Math.round(((cpuAfter.system - cpuBefore.system) / welcomed) * 1000) / 1000,
  },
  emptyRssMB: Math.round(emptyRss / 2 ** 20),
  loadedRssMB: Math.round(loadedRss / 2 ** 20),
  kbPerConnection: Math.round(((loadedRss - emptyRss) / welcomed / 1024) * 100) / 100,
  heapUsedMB: Math.round(metrics.heapUsedBytes / 2 ** 20),
  perWorker: metrics.workers?.map((w) => w.devicesOnline) ?? [metrics.devicesOnline],
};
process.stdout.write(`${JSON.stringify(result)}\n`);

clearInterval(guard);
clearTimeout(deadline);
for (const client of clients) client.send({ type: 'stop' });
process.kill(-backend.pid!, 'SIGTERM');
await new Promise((resolve) => backend.once('exit', resolve));
cleanUp();
