// Entry point of the reference backend as its own process:
//   node simulators/backend/main.ts --db FILE [--port N] [--workers N|auto] ...
// stdout carries exactly one line, {"event":"ready",...}, once listening;
// everything else goes to stderr. Exit codes: 0 stopped by SIGTERM/SIGINT,
// 1 crashed, 2 bad flags or the address cannot be used.
// With --workers 1 (the default) this process is the backend; with more it
// is a supervisor of that many worker processes (backend-supervisor.ts).
import { existsSync, rmSync } from 'node:fs';
import { BackendOptionsError, backendUsage, parseBackendCommandLine, workerCountFor, type BackendOptions } from './backend-options.ts';
import { BackendListenError } from './backend-listen-error.ts';
import type { BackendHandle } from './backend-server.ts';
import { startSupervisor, WorkerStartError, type SupervisorHandle } from './backend-supervisor.ts';

const NAME = 'aftershock-backend';

async function main(): Promise<void> {
  const parsed = parseBackendCommandLine(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(`${backendUsage}\n`);
    return;
  }
  if (parsed.kind === 'error') {
    fail(2, `${parsed.problems.join('; ')}; see --help`);
    return;
  }
  const options = claimHoldClosedFile(parsed.options);
  const workers = workerCountFor(options);
  if (workers > 1) {
    await supervise(options, workers);
    return;
  }

  let handle: BackendHandle;
  try {
    // Loaded only here: a supervisor does not need the hub, ws and sqlite.
    const { startBackend } = await import('./backend-server.ts');
    await waitToListen(options);
    handle = await startBackend(options);
  } catch (error) {
    const usage = error instanceof BackendOptionsError || error instanceof BackendListenError;
    fail(usage ? 2 : 1, (error as Error).message);
    return;
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // A second signal means "now": do not wait for the graceful path.
      process.exit(1);
    }
    stopping = true;
    handle.stop().then(
      () => process.exit(0),
      (error: unknown) => fail(1, `stop after ${signal} failed: ${(error as Error).message}`),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (options.exitWithStdin) exitWithStdin();

  const ready = { event: 'ready', pid: process.pid, host: handle.host, port: handle.port };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  process.stderr.write(
    `${NAME}: listening on ${handle.host}:${handle.port}, db ${options.dbPath}, heartbeat ${options.heartbeatIntervalMs} ms` +
      (options.maxHandshakesInFlight === null ? '' : `, max ${options.maxHandshakesInFlight} handshakes in flight`) +
      (options.acceptRate === null ? '' : `, at most ${options.acceptRate} handshakes/s`) +
      (options.holdClosed ? ', held closed until POST /admin/open' : '') +
      (options.unsafeAckBeforeWrite ? ', UNSAFE: PUT is acknowledged before it is durable (testing only)' : '') +
      '\n',
  );
}

/**
 * Multi-process backend: start the workers, print the ready line once all of
 * them listen, stop them on SIGTERM/SIGINT. Workers exit by themselves when
 * this process dies (IPC disconnect), so `--exit-with-stdin` here covers them.
 */
async function supervise(options: BackendOptions, workers: number): Promise<void> {
  if (options.exitWithStdin) exitWithStdin();
  let stopping = false;
  let handle: SupervisorHandle | undefined;
  const shutdown = (signal: string): void => {
    if (stopping || handle === undefined) {
      // A second signal means "now"; workers follow us through the IPC disconnect.
      process.exit(1);
    }
    stopping = true;
    handle.stop().then(
      (exitCode) => process.exit(exitCode),
      (error: unknown) => fail(1, `stop after ${signal} failed: ${(error as Error).message}`),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await waitToListen(options);
    handle = await startSupervisor(options, workers, {
      log: (line) => process.stderr.write(`${NAME}: ${line}\n`),
      onAllWorkersGone: () => fail(1, `all ${workers} workers have exited; nothing serves port ${handle?.port} any more`),
    });
  } catch (error) {
    const usage = error instanceof BackendListenError || (error instanceof WorkerStartError && error.exitCode === 2);
    fail(usage ? 2 : 1, (error as Error).message);
    return;
  }

  const ready = { event: 'ready', pid: process.pid, host: handle.host, port: handle.port, workerPids: handle.workerPids };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  process.stderr.write(
    `${NAME}: listening on ${handle.host}:${handle.port} with ${workers} workers (pids ${handle.workerPids.join(', ')}; SO_REUSEPORT), ` +
      `db ${options.dbPath}, heartbeat ${options.heartbeatIntervalMs} ms` +
      (options.maxHandshakesInFlight === null ? '' : `, max ${options.maxHandshakesInFlight} handshakes in flight per worker`) +
      (options.acceptRate === null ? '' : `, at most ${options.acceptRate} handshakes/s (${+(options.acceptRate / workers).toPrecision(6)}/s per worker)`) +
      (options.holdClosed ? ', held closed until POST /admin/open' : '') +
      (options.unsafeAckBeforeWrite ? ', UNSAFE: PUT is acknowledged before it is durable (testing only)' : '') +
      '\n',
  );
}

/** `--listen-at T`: everything is loaded; wait for the wall-clock time to listen at. */
async function waitToListen(options: BackendOptions): Promise<void> {
  const waitMs = (options.listenAt ?? 0) - Date.now();
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
}

/** `--hold-closed-if FILE`: held closed when the file is there; removed, so that only this start is. */
function claimHoldClosedFile(options: BackendOptions): BackendOptions {
  if (options.holdClosedIf === undefined || !existsSync(options.holdClosedIf)) return options;
  rmSync(options.holdClosedIf, { force: true });
  return { ...options, holdClosed: true };
}

function exitWithStdin(): void {
  // The parent holds our stdin open; EOF means it is gone (even by SIGKILL),
  // and an orphaned backend must not keep its port and devices.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

function fail(exitCode: number, message: string): void {
  process.stderr.write(`${NAME}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(exitCode);
}

process.on('uncaughtException', (error) => {
  // Keep the whole stack here: a crash is what someone will debug from stderr.
  process.stderr.write(`${NAME}: crashed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});

await main();
