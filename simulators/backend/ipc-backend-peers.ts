import type { BackendPeers, PeerStats, WorkerCommand, WorkerDeviceView } from './backend-peers.ts';
import { peerTimeoutsMs, type PeerRequest, type PeerResult, type SupervisorMessage, type WorkerMessage } from './worker-ipc-protocol.ts';

/** The IPC channel of a forked process (`process` itself in a worker). */
export interface IpcChannel {
  send(message: WorkerMessage): void;
}

/** Extra wait for the supervisor's own answer beyond its fan-out timeout, in ms. */
const SUPERVISOR_SLACK_MS = 1000;

/**
 * A worker's peers, reached through the supervisor over IPC. Keeps the
 * contract of {@link BackendPeers} even if the supervisor does not answer:
 * after the fan-out timeout plus a second, a command counts as unconfirmed
 * by everyone, stats come back empty, a device query as unknown elsewhere.
 * (A supervisor that is gone ends the worker anyway: see worker-main.ts.)
 */
export class IpcBackendPeers implements BackendPeers {
  readonly #channel: IpcChannel;
  readonly #pending = new Map<number, (result: PeerResult | null) => void>();
  #nextId = 1;

  constructor(channel: IpcChannel) {
    this.#channel = channel;
  }

  /** Feed every message from the supervisor here; returns false for those that are not results. */
  receive(message: SupervisorMessage): boolean {
    if (message.type !== 'result') return false;
    const settle = this.#pending.get(message.id);
    if (settle !== undefined) settle(message.result);
    return true;
  }

  async apply(command: WorkerCommand): Promise<{ unconfirmedPids: number[] }> {
    const result = await this.#ask({ kind: 'command', command });
    if (result?.kind === 'command') return { unconfirmedPids: result.unconfirmedPids };
    return { unconfirmedPids: [process.ppid] };
  }

  async stats(withProcess: boolean): Promise<PeerStats> {
    const result = await this.#ask({ kind: 'stats', withProcess });
    if (result?.kind === 'stats') return result.stats;
    return { supervisor: { pid: process.ppid, cpuUserUs: 0, cpuSystemUs: 0, rssBytes: 0, heapUsedBytes: 0 }, workers: [] };
  }

  async device(deviceId: string): Promise<WorkerDeviceView[]> {
    const result = await this.#ask({ kind: 'device', deviceId });
    return result?.kind === 'device' ? result.views : [];
  }

  #ask(request: PeerRequest): Promise<PeerResult | null> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(null), peerTimeoutsMs[request.kind] + SUPERVISOR_SLACK_MS);
      const settle = (result: PeerResult | null): void => {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve(result);
      };
      this.#pending.set(id, settle);
      this.#channel.send({ type: 'ask', id, request });
    });
  }
}
