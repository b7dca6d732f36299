// Test helper: runs simulators/backend/main.ts as a real child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const BACKEND_MAIN = fileURLToPath(new URL('../../simulators/backend/main.ts', import.meta.url));

/** How long a backend gets to print its ready line, in ms (Node start + sqlite open). */
const READY_TIMEOUT_MS = 10_000;

/** The ready line main.ts prints on stdout. */
export interface ReadyLine {
  event: 'ready';
  pid: number;
  host: string;
  port: number;
  /** Only with --workers > 1: the worker processes. */
  workerPids?: number[];
}

/** How a child process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A backend child process that printed its ready line. Stop it with `stop()` or `kill()`. */
export interface SpawnedBackend {
  readonly ready: ReadyLine;
  readonly baseUrl: string;
  readonly devicesUrl: string;
  readonly child: ChildProcess;
  /** Every stdout line so far (the ready line must be the only one). */
  readonly stdoutLines: string[];
  stderr(): string;
  readonly exited: Promise<Exit>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<Exit>;
  /** SIGKILL and wait for the exit (the whole process group if spawned with `group`). */
  kill(): Promise<Exit>;
  /** Signals the backend's process group (needs `group: true`), as the harness does. */
  signalGroup(signal: NodeJS.Signals): void;
}

/** How to spawn: `group` puts the backend in a process group of its own, led by it (as ManagedProcess does). */
export interface SpawnOptions {
  group?: boolean;
}

const running = new Set<SpawnedBackend>();
/** Worker pids of every multi-process backend spawned, for the cleanup. */
const workers = new Set<number>();

/** Spawns the backend with `args` (Node 24: `process.execPath` under vitest) and waits for the ready line. */
export async function spawnBackend(args: string[], env: NodeJS.ProcessEnv = {}, options: SpawnOptions = {}): Promise<SpawnedBackend> {
  const child = spawn(process.execPath, [BACKEND_MAIN, ...args], {
    env: { ...withoutBackendEnv(process.env), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group ?? false,
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stdoutLines: string[] = [];
  const lines = createInterface({ input: child.stdout! });

  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`backend printed no ready line within ${READY_TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, READY_TIMEOUT_MS);
    lines.on('line', (line) => {
      stdoutLines.push(line);
      if (stdoutLines.length === 1) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as ReadyLine);
        } catch {
          reject(new Error(`first stdout line is not JSON: ${line}`));
        }
      }
    });
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`backend exited (${exit.code ?? exit.signal}) before its ready line; stderr: ${stderr}`));
    });
  });

  const signalGroup = (signal: NodeJS.Signals): void => {
    if (!options.group) throw new Error('signalGroup needs spawnBackend(..., { group: true })');
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  const waitFor = (signal: NodeJS.Signals) => (): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  const kill = async (): Promise<Exit> => {
    // A group may outlive its leader for a moment (workers of a killed supervisor).
    if (options.group) signalGroup('SIGKILL');
    return waitFor('SIGKILL')();
  };
  const backend: SpawnedBackend = {
    ready,
    baseUrl: `http://${ready.host}:${ready.port}`,
    devicesUrl: `ws://${ready.host}:${ready.port}/devices`,
    child,
    stdoutLines,
    stderr: () => stderr,
    exited,
    stop: waitFor('SIGTERM'),
    kill,
    signalGroup,
  };
  running.add(backend);
  for (const pid of ready.workerPids ?? []) workers.add(pid);
  void exited.then(() => running.delete(backend));
  return backend;
}

/** SIGKILLs every backend still running; call from afterEach. */
export async function killAllBackends(): Promise<void> {
  await Promise.all([...running].map((backend) => backend.kill()));
  // Workers exit by themselves when their supervisor is gone; a test that
  // froze one must not leave it behind. The cmdline check guards against a reused pid.
  for (const pid of workers) {
    if (isRunning(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-main.ts')) process.kill(pid, 'SIGKILL');
  }
  await waitUntilGone([...workers], 5000).catch(() => undefined);
  workers.clear();
}

/** Runs main.ts expecting it to exit by itself (bad flags); collects its output. */
export function runBackendToExit(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit & { stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BACKEND_MAIN, ...args], {
      env: { ...withoutBackendEnv(process.env), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`backend with ${args.join(' ')} did not exit within 10000 ms`));
    }, 10_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Drops AFTERSHOCK_BACKEND_* from the parent's env so a developer's shell cannot change a test. */
function withoutBackendEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('AFTERSHOCK_BACKEND_')));
}

/** True while `pid` runs; a zombie (exited, not yet reaped by its new parent) counts as gone. */
export function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // Field 3, after the parenthesised command name: R, S, D, T (stopped), Z (zombie), ...
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Polls until every pid is gone; returns how long that took in ms, or rejects after `timeoutMs`. */
export async function waitUntilGone(pids: readonly number[], timeoutMs: number): Promise<number> {
  const startedMs = performance.now();
  while (pids.some(isRunning)) {
    if (performance.now() - startedMs > timeoutMs) {
      throw new Error(`pids ${pids.filter(isRunning).join(', ')} still running ${timeoutMs} ms later`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - startedMs;
}
