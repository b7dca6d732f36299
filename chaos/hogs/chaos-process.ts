import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { processStartTime } from '../watchdog/undo-action.ts';
import type { ChaosWatchdog } from '../watchdog/chaos-watchdog.ts';
import { ownNodeArgs } from '../../scenarios/runtime/own-node.ts';

export interface ChaosProcessOptions {
  /** For messages, e.g. "cpu burner 2". */
  name: string;
  /** The child program (a .ts file run by this Node). */
  script: string;
  args: readonly string[];
  /** Node options before the script, e.g. --expose-gc. */
  nodeArgs?: readonly string[];
  /** Added to the harness's environment. */
  env?: NodeJS.ProcessEnv;
  /** The child's stderr is appended here. */
  logPath: string;
  /**
   * A session of its own (setsid), so that the scheduler's autogroups, where
   * enabled, treat it as a peer of the backend (which the harness also starts
   * in a session of its own) rather than as part of the harness's group.
   */
  ownSession?: boolean;
  watchdog: ChaosWatchdog;
}

/** How a chaos process ended. */
export interface ChaosProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A process the chaos injectors start (a CPU burner, a memory hog). Three
 * ways it ends, so that none outlives its fault: `stop()`; its own deadline,
 * which every child program enforces; and, if the harness dies, the watchdog's
 * SIGKILL (guarded by PID and kernel start time before the child does any
 * work) and the close of its stdin, which every child program watches.
 */
export class ChaosProcess {
  readonly name: string;
  readonly pid: number;
  /** The kernel start time (field 22 of /proc/PID/stat): tells our process from a PID reuse. */
  readonly startTime: string | undefined;
  /** Resolves when the process has exited and the watchdog no longer guards it. */
  readonly exited: Promise<ChaosProcessExit>;
  private readonly child: ChildProcess;
  private exit: ChaosProcessExit | undefined;
  private readonly lineListeners: ((line: string) => void)[] = [];

  private constructor(name: string, child: ChildProcess, startTime: string | undefined, exited: Promise<ChaosProcessExit>) {
    this.name = name;
    this.child = child;
    this.pid = child.pid!;
    this.startTime = startTime;
    this.exited = exited.then((exit) => (this.exit = exit));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      for (const listener of this.lineListeners) listener(line);
    });
  }

  /** Starts the child and guards it with the watchdog; resolves once it is guarded. */
  static async start(options: ChaosProcessOptions): Promise<ChaosProcess> {
    const log = openSync(options.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...ownNodeArgs(...(options.nodeArgs ?? [])), options.script, ...options.args], {
        stdio: ['pipe', 'pipe', log],
        detached: options.ownSession ?? false,
        env: { ...process.env, ...options.env },
      });
    } finally {
      closeSync(log);
    }
    const exited = new Promise<ChaosProcessExit>((resolve) => {
      // 'close', not 'exit': by then every line the child printed has been delivered.
      child.once('close', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    if (child.pid === undefined) {
      await exited;
      throw new Error(`${options.name} could not be started with ${process.execPath}; see ${options.logPath}`);
    }
    // A closed stdin tells the child the harness is gone; a write after it exited must not throw.
    child.stdin!.on('error', () => undefined);
    const startTime = await processStartTime(child.pid);
    const release = options.watchdog.guard({ kind: 'signal', pid: child.pid, signal: 'SIGKILL', startTime });
    void exited.then(release);
    return new ChaosProcess(options.name, child, startTime, exited);
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** How it ended, once it has. */
  get exitStatus(): ChaosProcessExit | undefined {
    return this.exit;
  }

  /** Calls `listener` with every line the child prints on stdout. */
  onLine(listener: (line: string) => void): void {
    this.lineListeners.push(listener);
  }

  /** Writes one line to the child's stdin. */
  send(line: string): void {
    if (this.running) this.child.stdin!.write(line + '\n');
  }

  /** SIGTERM; SIGKILL after `graceMs`; resolves once it has exited. Idempotent. */
  async stop(graceMs = 2000): Promise<ChaosProcessExit> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.child.stdin!.destroy();
    return this.exit!;
  }

  /** Resolves with the first stdout line that `accept` returns a value for, or rejects at exit or timeout. */
  async waitForLine<T>(accept: (line: string) => T | undefined, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.lineListeners.splice(this.lineListeners.indexOf(onLine), 1);
        signal?.removeEventListener('abort', onAbort);
      };
      const onLine = (line: string): void => {
        const value = accept(line);
        if (value !== undefined) {
          done();
          resolve(value);
        }
      };
      const onAbort = (): void => {
        done();
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} (pid ${this.pid}) printed no expected line within ${timeoutMs} ms`));
      }, timeoutMs);
      this.lineListeners.push(onLine);
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.exited.then((exit) => {
        if (!this.lineListeners.includes(onLine)) return;
        done();
        reject(new Error(`${this.name} (pid ${this.pid}) exited (code ${exit.code}, signal ${exit.signal}) before printing an expected line`));
      });
    });
  }
}

/** Parses one JSON line, or undefined when it is not JSON. */
export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long a chaos process may live, in real ms: the fault's length
 * (`forMs` of scenario time, divided by the time scale) plus a margin, so
 * that the runner's undo, due at the fault's end, normally comes first and
 * the child's own deadline only matters when the harness is stuck.
 */
export function ownDeadlineMs(forMs: number, timeScale: number): number {
  return Math.ceil(forMs / timeScale) + OWN_DEADLINE_MARGIN_MS;
}

/** How far past the fault's scheduled end a chaos process ends by itself, in real ms. */
export const OWN_DEADLINE_MARGIN_MS = 1000;
