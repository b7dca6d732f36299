import type { BoundPorts } from 'testcontainers';
import type { DockerContainer } from '../docker-engine.ts';
import { ContainerWaitStrategy } from './container-wait-strategy.ts';

/** Ready once GET `url` (on the host network) answers 2xx. */
export class HttpWaitStrategy extends ContainerWaitStrategy {
  readonly awaited: string;
  private readonly url: string;

  constructor(url: string) {
    super();
    this.url = url;
    this.awaited = `GET ${url} to answer 2xx`;
  }

  async waitUntilReady(container: DockerContainer, _boundPorts?: BoundPorts): Promise<void> {
    const done = new AbortController();
    const deadline = performance.now() + this.startupTimeoutMs;
    let last = 'no answer yet';
    const poll = async (): Promise<void> => {
      while (performance.now() < deadline) {
        try {
          const response = await fetch(this.url, { signal: AbortSignal.timeout(1000) });
          await response.body?.cancel();
          if (response.ok) return;
          last = `last answer: ${response.status}`;
        } catch (error) {
          last = `last error: ${(error as Error).message}`;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw this.notReady(container, last);
    };
    try {
      await Promise.race([poll(), this.exitOf(container, done.signal)]);
    } finally {
      done.abort();
    }
  }
}
