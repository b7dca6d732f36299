import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performUndo } from './perform-undo.ts';
import type { UndoAction } from './undo-action.ts';
import { ownNodeArgs } from '../../scenarios/runtime/own-node.ts';

export type { UndoAction } from './undo-action.ts';

const watchdogMain = fileURLToPath(new URL('./watchdog-main.ts', import.meta.url));

/**
 * The harness side of the chaos watchdog. `guard` records an undo action in a
 * separate watchdog process before a fault takes effect; `release` drops it
 * once the fault is undone. If the harness dies, even by SIGKILL, the
 * watchdog sees its stdin close and performs every action still guarded.
 */
export class ChaosWatchdog {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, UndoAction>();

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  /** Starts the watchdog process; its log goes to `<runDir>/watchdog.log`. */
  static async start(runDir: string): Promise<ChaosWatchdog> {
    const child = spawn(process.execPath, [...ownNodeArgs(), watchdogMain, join(runDir, 'watchdog.log')], {
      // Its own process group: a Ctrl-C to the harness's group does not reach it.
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const [chunk] = (await Promise.race([once(child.stdout!, 'data'), once(child, 'exit').then(() => [undefined])])) as [Buffer | undefined];
    if (!chunk?.toString().startsWith('ready')) throw new Error('the chaos watchdog did not start');
    // Once it is ready, the watchdog must not keep the harness alive by itself.
    child.unref();
    for (const stream of [child.stdin, child.stdout]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
    return new ChaosWatchdog(child);
  }

  /** Records an undo action; returns the function that releases it. */
  guard(action: UndoAction): () => void {
    const id = this.nextId++;
    this.pending.set(id, action);
    this.send({ op: 'guard', id, action });
    return () => {
      if (this.pending.delete(id)) this.send({ op: 'release', id });
    };
  }

  /** Actions guarded and not yet released (for tests and the final check). */
  get guarded(): UndoAction[] {
    return [...this.pending.values()];
  }

  /**
   * Ends the watchdog cleanly. Anything still guarded is performed here, by
   * the harness itself, before the watchdog is told it may go.
   */
  async close(): Promise<void> {
    const leftovers = [...this.pending.values()].reverse();
    for (const action of leftovers) await performUndo(action);
    this.pending.clear();
    this.send({ op: 'done' });
    this.child.stdin?.end();
    if (this.child.exitCode === null) {
      // Hold the event loop open for the wait: the child was unref'd at start.
      this.child.ref();
      await once(this.child, 'exit');
    }
  }

  private send(message: object): void {
    this.child.stdin?.write(JSON.stringify(message) + '\n');
  }
}
