import type { BoundPorts } from 'testcontainers';
import type { DockerContainer } from '../docker-engine.ts';
import { tcpConnects } from '../../tcp-connects.ts';
import { ContainerWaitStrategy } from './container-wait-strategy.ts';

/** Ready once `host:port` (on the host network) accepts a TCP connection. */
export class TcpWaitStrategy extends ContainerWaitStrategy {
  readonly awaited: string;
  private readonly host: string;
  private readonly port: number;

  constructor(host: string, port: number) {
    super();
    this.host = host;
    this.port = port;
    this.awaited = `${host}:${port} to accept TCP connections`;
  }

  async waitUntilReady(container: DockerContainer, _boundPorts?: BoundPorts): Promise<void> {
    const done = new AbortController();
    const deadline = performance.now() + this.startupTimeoutMs;
    const poll = async (): Promise<void> => {
      while (performance.now() < deadline) {
        if (await tcpConnects(this.host, this.port, 1000)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw this.notReady(container, 'connections were refused');
    };
    try {
      await Promise.race([poll(), this.exitOf(container, done.signal)]);
    } finally {
      done.abort();
    }
  }
}
