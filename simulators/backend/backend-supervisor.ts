import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BackendOptions } from './backend-options.ts';
import type { SupervisorUsage, WorkerDeviceView, WorkerStats } from './backend-peers.ts';
import { BackendListenError } from './backend-listen-error.ts';
import {
  peerTimeoutsMs,
  type PeerAnswer,
  type PeerRequest,
  type PeerResult,
  type SupervisorMessage,
  type WorkerMessage,
} from './worker-ipc-protocol.ts';
import { ownNodeArgs } from '../../scenarios/runtime/own-node.ts';

const workerMain = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

/** How long a worker may take from fork to listening, in ms (Node start, module load, db open). */
const WORKER_START_TIMEOUT_MS = 20_000;
/**
 * How long a busy port is retried before start gives up, in ms: after a
 * SIGKILL of the previous backend's group, its workers may still be closing
 * their sockets when the harness has already seen the supervisor exit.
 */
const PORT_BUSY_RETRY_MS = 2000;

/** A worker could not start; `exitCode` 2 for an unusable address or options, 1 otherwise. */
export class WorkerStartError extends Error {
  readonly code = 'BACKEND_WORKER_START_FAILED';
  readonly exitCode: 1 | 2;
  constructor(exitCode: 1 | 2, message: string) {
    super(message);
    this.name = 'WorkerStartError';
    this.exitCode = exitCode;
  }
}

/** A running multi-process backend, returned once every worker listens. */
export interface SupervisorHandle {
  readonly host: string;
  readonly port: number;
  readonly workerPids: readonly number[];
  /** Stops every worker gracefully and waits for them; resolves with the exit code for the supervisor (0 if all exited 0). Idempotent. */
  stop(): Promise<number>;
}

export interface SupervisorEvents {
  /** One line for stderr. */
  log(line: string): void;
  /** Every worker has exited without `stop()`: nothing serves the port any more. */
  onAllWorkersGone(): void;
}

interface Worker {
  readonly number: number;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: boolean;
  /** Last counters it gave, for a stats answer that does not come in time. */
  lastStats: WorkerStats | null;
  lastProcess: WorkerStats['process'];
}

/** A request fanned out to the other workers and the answers so far. */
interface FanOut {
  readonly request: PeerRequest;
  readonly targets: readonly Worker[];
  readonly answers: Map<number, PeerAnswer>;
  readonly finish: () => void;
}

/**
 * Starts `count` workers (worker-main.ts) on `options.host`/`options.port`,
 * all bound with SO_REUSEPORT so the kernel spreads connections over them;
 * for port 0 the first worker picks the port and the others join it. This
 * process holds no device sockets: it relays requests between workers over
 * IPC (see worker-ipc-protocol.ts). Workers are forked without `detached`, so
 * they share this process's group and every signal to the group reaches them.
 * A worker that dies is reported, never restarted: a chaos kill stays a kill.
 */
export async function startSupervisor(options: BackendOptions, count: number, events: SupervisorEvents): Promise<SupervisorHandle> {
  if (options.port !== 0) await probePort(options.host, options.port);
  const workers: Worker[] = [];
  const fanOuts = new Map<number, FanOut>();
  let nextFanOutId = 1;
  let stopping = false;

  const sendTo = (worker: Worker, message: SupervisorMessage): void => {
    if (worker.alive && worker.child.connected) worker.child.send(message, undefined, undefined, ignore);
  };

  const fanOut = (origin: Worker, askId: number, request: PeerRequest): void => {
    const targets = workers.filter((worker) => worker.alive && worker !== origin);
    const id = nextFanOutId++;
    const answers = new Map<number, PeerAnswer>();
    const timer = setTimeout(() => finish(), peerTimeoutsMs[request.kind]);
    const finish = (): void => {
      if (!fanOuts.delete(id)) return;
      clearTimeout(timer);
      sendTo(origin, { type: 'result', id: askId, result: resultOf(request, targets, answers) });
    };
    fanOuts.set(id, { request, targets, answers, finish });
    if (targets.length === 0) finish();
    for (const target of targets) sendTo(target, { type: 'do', id, request });
  };

  const onAnswer = (worker: Worker, id: number, answer: PeerAnswer): void => {
    const pending = fanOuts.get(id);
    if (pending === undefined) return; // too late: already answered as missing
    pending.answers.set(worker.pid, answer);
    if (pending.request.kind === 'stats' && answer !== null) {
      const stats = answer as WorkerStats;
      worker.lastStats = stats;
      if (stats.process !== null) worker.lastProcess = stats.process;
    }
    if (pending.targets.every((target) => pending.answers.has(target.pid) || !target.alive)) pending.finish();
  };

  const resultOf = (request: PeerRequest, targets: readonly Worker[], answers: Map<number, PeerAnswer>): PeerResult => {
    switch (request.kind) {
      case 'command':
        return { kind: 'command', unconfirmedPids: targets.filter((t) => !answers.has(t.pid)).map((t) => t.pid) };
      case 'device':
        return { kind: 'device', views: targets.filter((t) => answers.has(t.pid)).map((t) => answers.get(t.pid) as WorkerDeviceView) };
      case 'stats':
        return {
          kind: 'stats',
          stats: {
            supervisor: supervisorUsage(),
            workers: targets.map((t) => {
              const fresh = answers.get(t.pid) as WorkerStats | undefined;
              if (fresh !== undefined) return { ...fresh, stale: false };
              const last = t.lastStats ?? { pid: t.pid, devicesOnline: 0, handshakesTotal: 0, handshakesRejected: 0, process: null };
              return { ...last, process: t.lastProcess, stale: true };
            }),
          },
        };
    }
  };

  /** Forks worker `number` on `port`; resolves with the address it listens on. */
  const spawnWorker = (number: number, port: number): Promise<{ host: string; port: number }> => {
    const child = fork(workerMain, [JSON.stringify({ ...options, port }), String(number), String(count)], {
      execArgv: ownNodeArgs(),
      // stdout of a worker goes to our stderr: our stdout is the ready line alone.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    const worker: Worker = {
      number,
      child,
      pid: child.pid ?? -1,
      exited: once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null })),
      alive: true,
      lastStats: null,
      lastProcess: null,
    };
    workers.push(worker);
    child.on('error', ignore); // a send to a dying worker; its 'exit' tells the rest
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new WorkerStartError(1, `worker ${number} (pid ${worker.pid}) did not listen within ${WORKER_START_TIMEOUT_MS} ms`)),
        WORKER_START_TIMEOUT_MS,
      );
      let failure: WorkerStartError | undefined;
      child.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'listening':
            clearTimeout(timer);
            resolve({ host: message.host, port: message.port });
            return;
          case 'start-failed':
            failure = new WorkerStartError(message.exitCode, message.message);
            return;
          case 'ask':
            fanOut(worker, message.id, message.request);
            return;
          case 'answer':
            onAnswer(worker, message.id, message.answer);
            return;
        }
      });
      void worker.exited.then(({ code, signal }) => {
        worker.alive = false;
        clearTimeout(timer);
        reject(failure ?? new WorkerStartError(1, `worker ${number} (pid ${worker.pid}) exited (${signal ?? `code ${code}`}) before listening`));
        // Answers it owes will not come: finish what only waited for it.
        for (const pending of [...fanOuts.values()]) {
          if (pending.targets.every((target) => pending.answers.has(target.pid) || !target.alive)) pending.finish();
        }
      });
    });
  };

  let address: { host: string; port: number };
  try {
    // The first worker binds (and for port 0 picks) the port, the others join
    // it. Also for a fixed port: the first one alone creates the db schema and
    // switches it to WAL, so the others never race for that lock.
    address = await spawnWorker(1, options.port);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => spawnWorker(i + 2, address.port)));
  } catch (error) {
    for (const worker of workers) if (worker.alive) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    throw error;
  }

  // From now on a worker that exits is a crash or a kill of that worker alone.
  for (const worker of workers) {
    void worker.exited.then(({ code, signal }) => {
      if (stopping) return;
      const left = workers.filter((w) => w.alive).length;
      events.log(
        `worker ${worker.number} (pid ${worker.pid}) exited unexpectedly (${signal ?? `code ${code}`}); ` +
          `${left} of ${count} workers left; not restarted`,
      );
      if (left === 0) events.onAllWorkersGone();
    });
  }

  let stopped: Promise<number> | undefined;
  // No deadline of our own: a worker burning its CPU stops only when the hog
  // ends, exactly as a single-process backend would, and whoever stops us
  // decides how long to wait (the harness SIGKILLs the group after its grace;
  // a second SIGTERM/SIGINT makes main.ts exit at once, and the workers follow).
  const stop = async (): Promise<number> => {
    stopping = true;
    const live = workers.filter((worker) => worker.alive);
    for (const worker of live) sendTo(worker, { type: 'stop' });
    const exits = await Promise.all(live.map((worker) => worker.exited));
    return exits.every((exit) => exit.code === 0) ? 0 : 1;
  };

  return {
    host: address.host,
    port: address.port,
    workerPids: workers.map((worker) => worker.pid),
    stop: () => (stopped ??= stop()),
  };
}

function ignore(): void {}

function supervisorUsage(): SupervisorUsage {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { pid: process.pid, cpuUserUs: cpu.user, cpuSystemUs: cpu.system, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed };
}

/**
 * Fails like a single-process backend would (EADDRINUSE and friends) before
 * any worker starts: SO_REUSEPORT would otherwise let the workers share a port
 * that another backend of ours still holds. A plain bind fails on a port that
 * any socket holds, with or without SO_REUSEPORT.
 */
async function probePort(host: string, port: number): Promise<void> {
  const deadline = performance.now() + PORT_BUSY_RETRY_MS;
  for (;;) {
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host, exclusive: true }, resolve);
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return;
    } catch (error) {
      const busy = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!busy || performance.now() >= deadline) throw new BackendListenError(host, port, error as NodeJS.ErrnoException);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
