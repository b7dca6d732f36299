// One worker of a multi-process backend. Forked by backend-supervisor.ts with
// an IPC channel, never run by hand:
//   node simulators/backend/worker-main.ts <resolved options as JSON> <worker number> <workers>
// It is a full backend (hub, API, store) on the shared port (SO_REUSEPORT),
// reaching the other workers through the supervisor. It stays in the
// supervisor's process group, so a signal to the group reaches it, and it
// exits at once when the supervisor is gone (the IPC channel closes).
// It never writes to stdout: the supervisor's stdout carries only the ready line.
import type { BackendOptions } from './backend-options.ts';
import { BackendOptionsError } from './backend-options.ts';
import { BackendListenError, startBackend, type BackendHandle } from './backend-server.ts';
import { IpcBackendPeers } from './ipc-backend-peers.ts';
import type { LocalBackend } from './local-backend.ts';
import type { PeerAnswer, PeerRequest, SupervisorMessage, WorkerMessage } from './worker-ipc-protocol.ts';

const workerNumber = process.argv[3] ?? '?';
/** Workers of the backend, this one included: its share of --accept-rate is 1/workers. */
const workers = Number(process.argv[4] ?? '1');
const NAME = `aftershock-backend worker ${workerNumber}`;

function ignore(): void {}

/** Sends to the supervisor; a closed channel is ignored (the 'disconnect' handler ends us). */
function send(message: WorkerMessage, then: () => void = ignore): void {
  if (!process.connected || process.send === undefined) return then();
  process.send(message, undefined, undefined, then);
}

function answer(local: LocalBackend, request: PeerRequest): PeerAnswer {
  switch (request.kind) {
    case 'command':
      local.apply(request.command);
      return null;
    case 'stats':
      return local.stats(request.withProcess);
    case 'device':
      return local.device(request.deviceId);
  }
}

async function main(): Promise<void> {
  if (process.send === undefined) {
    process.stderr.write(`${NAME}: must be forked by the backend supervisor (run main.ts --workers N instead)\n`);
    process.exit(2);
  }
  // The supervisor is gone (crashed, SIGKILLed alone, or exited): a worker
  // must not keep the port and its devices without it.
  process.on('disconnect', () => process.exit(0));

  const options = JSON.parse(process.argv[2] ?? '{}') as BackendOptions;
  const peers = new IpcBackendPeers({ send: (message) => send(message) });
  let handle: BackendHandle;
  try {
    handle = await startBackend(options, { peers, reusePort: true, workers });
  } catch (error) {
    const usage = error instanceof BackendOptionsError || error instanceof BackendListenError;
    // The supervisor reports it: one line on stderr for the whole backend.
    send({ type: 'start-failed', exitCode: usage ? 2 : 1, message: (error as Error).message }, () => process.exit(usage ? 2 : 1));
    return;
  }

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return; // SIGTERM to the group and the supervisor's 'stop' both arrive: one stop.
    stopping = true;
    handle.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${NAME}: stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('message', (message: SupervisorMessage) => {
    if (peers.receive(message)) return;
    if (message.type === 'stop') shutdown();
    else if (message.type === 'do') send({ type: 'answer', id: message.id, answer: answer(handle.local, message.request) });
  });
  send({ type: 'listening', host: handle.host, port: handle.port });
}

process.on('uncaughtException', (error) => {
  process.stderr.write(`${NAME}: crashed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});

await main();
