import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ApiWindowName, IntegrityEvent } from '../../reports/integrity-events.ts';
import type { ApiLoadToParent, ApiLoadWindow } from './api-load-protocol.ts';
import { ownNodeArgs } from '../runtime/own-node.ts';

const apiLoadMain = fileURLToPath(new URL('./api-load-main.ts', import.meta.url));

/** How long the load process may take to start, real ms. */
const READY_TIMEOUT_MS = 15_000;

export interface ApiLoadOptions {
  apiBaseUrl: string;
  devices: number;
  seed: string | number;
  connections: number;
  /** Real ms a request may take before it counts as a timeout. */
  timeoutMs: number;
  /** Scenario ms now. */
  now: () => number;
  emit: (event: IntegrityEvent) => void;
}

/**
 * autocannon against the backend's API in windows, from a child process
 * started once (so a window starts without a process start's delay). Windows
 * run one after the other; each emits an 'api-load' event when it ends.
 * Bounded: a window runs for its duration with a fixed number of
 * connections, loopback only (the target's own API).
 */
export class ApiLoad {
  private readonly child: ChildProcess;
  private readonly options: ApiLoadOptions;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(child: ChildProcess, options: ApiLoadOptions) {
    this.child = child;
    this.options = options;
  }

  static async start(options: ApiLoadOptions): Promise<ApiLoad> {
    const child = fork(apiLoadMain, [], { execArgv: ownNodeArgs(), serialization: 'json', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS);
    const [ready] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [undefined])])) as [ApiLoadToParent | undefined];
    clearTimeout(timer);
    if (ready?.type !== 'ready') throw new Error(`API load process did not start within ${READY_TIMEOUT_MS} ms (exit code ${child.exitCode})`);
    return new ApiLoad(child, options);
  }

  /** Queues a window of `durationMs` real ms; resolves once its event is emitted (or the process is gone). */
  window(window: ApiWindowName, durationMs: number): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.stopped || this.child.exitCode !== null) return;
      const { apiBaseUrl, devices, seed, connections, timeoutMs, now, emit } = this.options;
      const load: ApiLoadWindow = { window, apiBaseUrl, devices, seed, connections, durationMs, timeoutMs };
      const startMs = now();
      const answer = new Promise<ApiLoadToParent | undefined>((resolve) => {
        const onMessage = (message: ApiLoadToParent): void => {
          if (message.type === 'ready' || message.window !== window) return;
          this.child.off('message', onMessage);
          this.child.off('exit', onExit);
          resolve(message);
        };
        const onExit = (): void => resolve(undefined);
        this.child.on('message', onMessage);
        this.child.once('exit', onExit);
      });
      this.child.send({ type: 'run', load });
      const message = await answer;
      const t = now();
      if (message?.type === 'result') emit({ type: 'api-load', t, window, startMs, endMs: t, ...message.result });
      else emit({ type: 'api-load', t, window, error: message?.type === 'failed' ? message.error : 'the API load process exited before the window ended' });
    };
    this.queue = this.queue.then(run);
    return this.queue;
  }

  /** Waits for the queued windows. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Ends the load process (a running window is cut short and not reported). Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}
