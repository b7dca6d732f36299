import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { AftershockError } from '../errors.ts';
import type { ChaosWatchdog } from '../../chaos/watchdog/chaos-watchdog.ts';
import { processStartTime } from '../../chaos/watchdog/undo-action.ts';

export interface ManagedProcessOptions {
  /** A name for messages, e.g. "reference backend". */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Working directory; default: the harness's. */
  cwd?: string;
  /** Stdout and stderr are appended here. */
  logPath: string;
  /** How long a start may take before it counts as failed. */
  readyTimeoutMs: number;
  /** Returns true for the stdout line that says the process is ready. */
  isReadyLine: (line: string) => boolean;
  /**
   * Instead of (or besides) a ready line: polled every `probeEveryMs` while
   * the process runs; ready once it resolves `{ ready: true }`. `seen` says
   * what the last poll found (for the error when it never passes).
   */
  readyProbe?: () => Promise<{ ready: boolean; seen: string }>;
  /** What start waits for, for messages; default "a ready line on stdout". */
  awaiting?: string;
  /** Poll interval of `readyProbe`, real ms (default 100). */
  probeEveryMs?: number;
}

/**
 * A child process the harness owns: started, waited on until it prints its
 * ready line, signalled, restarted and stopped. It runs in a process group of
 * its own and every signal goes to that group, so a backend made of several
 * processes is frozen, killed or continued as one unit; the group is ours
 * alone (we made it). The child's stdin is a pipe the harness holds open;
 * children that watch it exit when the harness dies, however it dies.
 */
export class ManagedProcess {
  private readonly options: ManagedProcessOptions;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly log: WriteStream;
  /** The ready line of the latest start. */
  readyLine = '';
  /** How long the first start took, spawn to ready, real ms (undefined before it): later starts may be told to wait. */
  firstStartMs: number | undefined;
  private watchdog: ChaosWatchdog | undefined;
  private releaseGuard: (() => void) | undefined;

  constructor(options: ManagedProcessOptions) {
    this.options = options;
    this.log = createWriteStream(options.logPath, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /**
   * From now on, every start of this process is registered with the chaos
   * watchdog (SIGKILL if the harness dies), and released when it exits.
   */
  async guardWith(watchdog: ChaosWatchdog): Promise<void> {
    this.watchdog = watchdog;
    await this.guardCurrent();
  }

  private async guardCurrent(): Promise<void> {
    const pid = this.pid;
    if (!this.watchdog || pid === undefined) return;
    const release = this.watchdog.guard({ kind: 'signal', pid, group: true, signal: 'SIGKILL', startTime: await processStartTime(pid) });
    this.releaseGuard = release;
    void this.exited.then(release);
  }

  /** Starts the process (with `extraArgs` after the usual ones) and resolves once it printed its ready line. */
  async start(extraArgs: readonly string[] = []): Promise<void> {
    const { name, command, args, env, readyTimeoutMs, isReadyLine, readyProbe, awaiting = 'a ready line on stdout', probeEveryMs = 100 } = this.options;
    if (this.running) throw new Error(`${name} is already running (pid ${this.pid})`);
    const startedAt = performance.now();
    // detached: a new process group led by the child (see signal()).
    const child = spawn(command, [...args, ...extraArgs], { env: env ?? process.env, cwd: this.options.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    // Errors after start (a signal to a gone child) are not the run's concern.
    child.on('error', () => {});
    // A command that cannot be spawned emits 'error' and never 'exit'.
    this.exited = once(child, 'exit').then(
      () => undefined,
      () => undefined,
    );
    child.stderr!.pipe(this.log, { end: false });
    const recent: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => {
      recent.push(chunk.toString());
      if (recent.length > 20) recent.shift();
    });
    const lines = createInterface({ input: child.stdout! });
    let spawnError: Error | undefined;

    await new Promise<void>((resolve, reject) => {
      let probeSeen = '';
      let probeTimer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const timer = setTimeout(() => {
        cleanup();
        this.signal('SIGKILL');
        const seen = readyProbe ? `; last check saw: ${probeSeen || '(no answer yet)'}` : '';
        reject(
          new AftershockError(
            'target-not-ready',
            `${name} did not report ready within ${readyTimeoutMs} ms (awaited ${awaiting})${seen}; last output: ${lastOutput(recent)}; see ${this.options.logPath}`,
          ),
        );
      }, readyTimeoutMs);
      const poll = (): void => {
        void readyProbe!().then(
          (result) => {
            if (done) return;
            probeSeen = result.seen;
            if (result.ready) {
              cleanup();
              resolve();
            } else probeTimer = setTimeout(poll, probeEveryMs);
          },
          (error: Error) => {
            if (done) return;
            probeSeen = error.message;
            probeTimer = setTimeout(poll, probeEveryMs);
          },
        );
      };
      if (readyProbe) poll();
      const onSpawnError = (error: Error): void => {
        spawnError = error;
        onExit(null, null);
      };
      child.once('error', onSpawnError);
      const onLine = (line: string): void => {
        recent.push(line + '\n');
        if (recent.length > 20) recent.shift();
        this.log.write(line + '\n');
        if (isReadyLine(line)) {
          this.readyLine = line;
          cleanup();
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null): void => {
        if (done) return;
        cleanup();
        const why = spawnError ? `could not be started (${spawnError.message}); check the command "${command}"` : `exited before it was ready (code ${code}, signal ${signal}) while awaiting ${awaiting}`;
        reject(new AftershockError('target-start-failed', `${name} ${why}; last output: ${lastOutput(recent)}; see ${this.options.logPath}`));
      };
      const cleanup = (): void => {
        done = true;
        clearTimeout(timer);
        clearTimeout(probeTimer);
        child.off('error', onSpawnError);
        lines.off('line', onLine);
        child.off('exit', onExit);
        // Keep logging after ready.
        lines.on('line', (line) => this.log.write(line + '\n'));
      };
      lines.on('line', onLine);
      child.once('exit', onExit);
    });
    this.firstStartMs ??= performance.now() - startedAt;
    await this.guardCurrent();
  }

  /** Sends a signal to the process's group (the group we created for it). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The leader may be gone while the group lingers for a moment, or vice versa.
      process.kill(pid, signal);
    }
  }

  /** Resolves when the current process has exited. */
  waitForExit(): Promise<void> {
    return this.exited;
  }

  /** SIGKILL the whole group, then wait until the kernel has reaped the leader. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM; SIGKILL if it has not exited after `graceMs`. Idempotent. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.running) {
      // A frozen process cannot handle SIGTERM; continue it first.
      this.signal('SIGCONT');
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.child?.stdin?.destroy();
    this.releaseGuard?.();
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  /** Kills the process at once, synchronously: for process 'exit' handlers. */
  killNow(): void {
    try {
      this.signal('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function lastOutput(recent: string[]): string {
  const text = recent.join('').trim().split('\n').slice(-3).join(' | ');
  return text ? `"${text.slice(0, 400)}"` : '(none)';
}
