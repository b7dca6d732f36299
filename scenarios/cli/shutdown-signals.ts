import { readFileSync } from 'node:fs';
import { exitCodes } from '../errors.ts';

/** The signals that ask a long-lived command to stop. */
export const shutdownSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type ShutdownSignal = (typeof shutdownSignals)[number];

/** Why a command was asked to stop: a signal, or a launcher (npm, its shell, the hand-over parent; see launcherChain) died. */
export type ShutdownReason = { kind: 'signal'; signal: ShutdownSignal } | { kind: 'parent-gone'; parentPid: number };

/** The abort reason of a ShutdownWatch's signal: an Error, so that what catches the abort can say why. */
export class ShutdownRequested extends Error {
  readonly reason: ShutdownReason;

  constructor(reason: ShutdownReason) {
    super(reason.kind === 'signal' ? `interrupted by ${reason.signal}` : `interrupted: the process that launched it (pid ${reason.parentPid}) is gone`);
    this.name = 'ShutdownRequested';
    this.reason = reason;
  }
}

/** A started watch. Stop it once the command has shut down; until then it owns SIGINT, SIGTERM and SIGHUP. */
export interface ShutdownWatch {
  /** Aborted at the first request, with a ShutdownRequested as its reason. */
  readonly signal: AbortSignal;
  /** Resolves with the first request's reason; never rejects. */
  readonly requested: Promise<ShutdownReason>;
  /** Removes the handlers and the poll: the signals' default actions are back. Idempotent. */
  stop(): void;
}

export interface ShutdownWatchOptions {
  /** Real ms between looks at the launchers (default 300): an orphan notices within that. */
  parentPollMs?: number;
  /** The pids above this process to watch, nearest first (default launcherChain()). */
  launchers?: number[];
  /** The first `depth` pids above this process as they are now, nearest first (default: read from /proc). */
  ancestors?: (depth: number) => number[];
  /** Called once, at the first request (e.g. to say "stopping"). */
  onRequest?: (reason: ShutdownReason) => void;
  /**
   * Called at a second signal while the first is being handled. The default
   * says so on stderr and exits at once with 130: the process's 'exit'
   * handlers kill what it started (the runner's fleet and backend), and the
   * chaos watchdog, whose stdin closes with this process, undoes any fault
   * still in effect.
   */
  onForce?: (signal: ShutdownSignal) => void;
}

/**
 * Turns SIGINT, SIGTERM, SIGHUP and the death of the process that launched
 * this one into one AbortSignal for a long-lived command (`run`, `chaos
 * play`, `toxiproxy`, `compare --target-a/--target-b`).
 *
 * The launchers matter because a signal often reaches only them: `npm run
 * aftershock -- ...` runs node under `sh -c`; npm passes a SIGTERM to the
 * shell alone (which dies, and node is reparented), and a SIGHUP to npm alone
 * kills npm and leaves the shell and node running. Either way node would go on
 * with the backend, the fleet and any chaos process it started. So the chain
 * of launchers above this process is polled, on an unref'd timer, and any
 * change in it (one of them died, so its child was reparented) counts as a
 * request to stop. A process started straight from a shell watches nothing
 * above it: `nohup aftershock run ... &` outlives the shell as it should.
 *
 * Output may have gone with the parent or the terminal (SIGHUP): while the
 * watch runs, EPIPE and EIO on stdout and stderr are ignored, so that
 * printing cannot abort the clean-up.
 */
export function watchShutdown(options: ShutdownWatchOptions = {}): ShutdownWatch {
  const watched = options.launchers ?? launcherChain();
  const readAncestors = options.ancestors ?? currentAncestors;
  const abort = new AbortController();
  let resolveRequested!: (reason: ShutdownReason) => void;
  const requested = new Promise<ShutdownReason>((resolve) => (resolveRequested = resolve));
  const force =
    options.onForce ??
    ((signal: ShutdownSignal): void => {
      console.error(`aftershock: ${signal} again: stopping now; the chaos watchdog undoes any fault still in effect`);
      process.exit(exitCodes.interrupted);
    });

  const request = (reason: ShutdownReason): void => {
    if (abort.signal.aborted) return;
    clearInterval(poll);
    options.onRequest?.(reason);
    abort.abort(new ShutdownRequested(reason));
    resolveRequested(reason);
  };
  const onSignal = (signal: ShutdownSignal): void => {
    if (abort.signal.aborted) force(signal);
    else request({ kind: 'signal', signal });
  };
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error;
  };

  const poll = watched.length === 0 ? undefined : setInterval(() => {
    const now = readAncestors(watched.length);
    // A launcher that died is no longer where it was: its child was reparented.
    const gone = watched.findIndex((pid, i) => now[i] !== pid);
    if (gone !== -1) request({ kind: 'parent-gone', parentPid: watched[gone] });
  }, options.parentPollMs ?? 300);
  // The poll watches; it must not be what keeps the process alive.
  poll?.unref();
  for (const signal of shutdownSignals) process.on(signal, onSignal);
  for (const stream of [process.stdout, process.stderr]) stream.on('error', onOutputError);

  return {
    signal: abort.signal,
    requested,
    stop(): void {
      clearInterval(poll);
      for (const signal of shutdownSignals) process.off(signal, onSignal);
      // After a request the last lines (the summary, "stopped") may still be in
      // flight to a reader that is gone; their errors must not crash the exit.
      if (!abort.signal.aborted) for (const stream of [process.stdout, process.stderr]) stream.off('error', onOutputError);
    },
  };
}

/** A request's reason in a few words, for a "stopped (...)" line. */
export function describeShutdown(reason: ShutdownReason): string {
  return reason.kind === 'signal' ? reason.signal : `launcher ${reason.parentPid} gone`;
}

/** Set by the installed command when an older Node hands over to Node 24: the child's parent is part of the command. */
export const handOverVariable = 'AFTERSHOCK_HANDED_OVER';

/**
 * The processes above this one that are part of launching it, nearest first:
 * under npm (`npm run`, `npx`; npm sets npm_command) every ancestor up to and
 * including the npm process; else the hand-over parent of an older Node, if
 * any; else none. Linux only (it reads /proc); elsewhere just the parent
 * under npm or a hand-over.
 */
export function launcherChain(): number[] {
  const underNpm = process.env.npm_command !== undefined;
  const handedOver = process.env[handOverVariable] === '1';
  if (!underNpm && !handedOver) return [];
  if (process.platform !== 'linux') return [process.ppid];
  const chain: number[] = [];
  let pid = process.ppid;
  // npm run: sh, npm; an older Node's hand-over adds one. Six is room to spare.
  for (let depth = 0; depth < 6 && pid > 1; depth++) {
    chain.push(pid);
    if (!underNpm || isNpmProcess(pid)) return chain;
    const parent = parentOf(pid);
    if (parent === undefined) break;
    pid = parent;
  }
  // No npm process found above (npm_command inherited from further away): the parent alone.
  return chain.slice(0, 1);
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  // The command name (field 2) may hold spaces and parentheses; the fields after its last ")" do not.
  return stat === undefined ? undefined : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** npm sets its process title to "npm run ...", "npm exec ..."; an npm started as `node npm-cli.js` shows that path. */
function isNpmProcess(pid: number): boolean {
  const argv = (readProc(pid, 'cmdline') ?? '').split('\0');
  return /^np[mx]( |$)/.test(argv[0]) || argv.slice(0, 2).some((arg) => /(^|\/)np[mx](-cli\.js)?$/.test(arg));
}

/** The first `depth` pids above this process, nearest first; shorter if the chain reaches init. */
export function currentAncestors(depth: number): number[] {
  const chain: number[] = [];
  let pid: number | undefined = process.ppid;
  while (chain.length < depth && pid !== undefined && pid > 0) {
    chain.push(pid);
    pid = process.platform === 'linux' ? parentOf(pid) : undefined;
  }
  return chain;
}
