import type { BoundPorts, WaitStrategy } from 'testcontainers';
import { AftershockError } from '../../../errors.ts';
import type { DockerContainer } from '../docker-engine.ts';

/**
 * A testcontainers wait strategy for a container on the host network, where
 * testcontainers' own strategies (which look at mapped ports) do not apply.
 * Subclasses say what "ready" means; this base keeps the startup budget and
 * notices a container that exits while it is awaited, so that a crashed
 * backend fails at once with its exit code instead of after the budget.
 * `startTime` is when the (re)start began: anything before it is ignored.
 */
export abstract class ContainerWaitStrategy implements WaitStrategy {
  protected startupTimeoutMs = 60_000;
  private startupTimeoutSet = false;
  /** What is awaited, for messages: 'a line containing "ready"'. */
  abstract readonly awaited: string;

  abstract waitUntilReady(container: DockerContainer, boundPorts?: BoundPorts, startTime?: Date): Promise<void>;

  withStartupTimeout(startupTimeoutMs: number): this {
    this.startupTimeoutMs = startupTimeoutMs;
    this.startupTimeoutSet = true;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.startupTimeoutSet;
  }

  getStartupTimeout(): number {
    return this.startupTimeoutMs;
  }

  /** Rejects once the container is no longer running (checked every `everyMs`), until `signal` aborts. */
  protected async exitOf(container: DockerContainer, signal: AbortSignal, everyMs = 250): Promise<never> {
    while (!signal.aborted) {
      const info = await container.inspect().catch(() => undefined);
      if (!info || !info.State.Running) {
        const code = info?.State.ExitCode;
        throw new AftershockError('target-start-failed', `container ${container.id.slice(0, 12)} exited before it was ready (exit code ${code ?? 'unknown'}${info?.State.OOMKilled ? ', OOM-killed' : ''}); awaited ${this.awaited}`);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    return new Promise<never>(() => undefined);
  }

  /** The error for a container that did not become ready within the budget. */
  protected notReady(container: DockerContainer, seen: string): AftershockError {
    return new AftershockError('target-not-ready', `container ${container.id.slice(0, 12)} was not ready within ${this.startupTimeoutMs} ms (awaited ${this.awaited}); ${seen}`);
  }
}
