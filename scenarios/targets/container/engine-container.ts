import { createWriteStream, type WriteStream } from 'node:fs';
import { cpus } from 'node:os';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StartedTestContainer } from 'testcontainers';
import { AftershockError } from '../../errors.ts';
import type { ChaosWatchdog } from '../../../chaos/watchdog/chaos-watchdog.ts';
import type { ContainerExecResult, ContainerState, TargetContainer } from '../target-container.ts';
import { followLogs, type LogFollower } from './container-logs.ts';
import { dockerClient, engineStatus, type DockerApi, type DockerContainer } from './docker-engine.ts';
import { tarArchive } from './tar-archive.ts';
import type { ContainerWaitStrategy } from './wait-strategies/container-wait-strategy.ts';

const mb = 1024 * 1024;

/** Inspect's answer, reduced to what chaos and reports use. */
export function containerStateOf(info: {
  State: { Status: string; Running: boolean; Paused: boolean; OOMKilled: boolean; ExitCode: number };
  HostConfig: { NanoCpus?: number; Memory?: number };
}): ContainerState {
  return {
    status: info.State.Status,
    running: info.State.Running,
    paused: info.State.Paused,
    oomKilled: info.State.OOMKilled,
    exitCode: info.State.ExitCode,
    cpus: info.HostConfig.NanoCpus ? info.HostConfig.NanoCpus / 1e9 : null,
    memoryMB: info.HostConfig.Memory ? Math.round(info.HostConfig.Memory / mb) : null,
  };
}

/**
 * A container the harness started with testcontainers, driven through the
 * engine's API. It writes the container's output to `logPath` across
 * restarts, and it is guarded by the chaos watchdog (removed if the harness
 * dies) from the moment it is adopted. `remove` is idempotent and works from
 * any state: paused, exited or running.
 */
export class EngineContainer implements TargetContainer {
  readonly id: string;
  readonly name: string;
  private readonly started: StartedTestContainer;
  private readonly docker: DockerApi;
  private readonly container: DockerContainer;
  private readonly waitStrategy: ContainerWaitStrategy;
  private readonly log: WriteStream;
  private follower: LogFollower | undefined;
  private releaseGuard: (() => void) | undefined;
  private removed: Promise<void> | undefined;

  private constructor(started: StartedTestContainer, docker: DockerApi, waitStrategy: ContainerWaitStrategy, logPath: string) {
    this.started = started;
    this.id = started.getId();
    this.name = started.getName().replace(/^\//, '');
    this.docker = docker;
    this.container = docker.getContainer(this.id);
    this.waitStrategy = waitStrategy;
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  /** Takes over a started container: guards its removal and starts copying its output to `logPath`. */
  static async adopt(started: StartedTestContainer, options: { waitStrategy: ContainerWaitStrategy; logPath: string; since: Date; watchdog?: ChaosWatchdog }): Promise<EngineContainer> {
    const docker = (await dockerClient()).container.dockerode;
    const handle = new EngineContainer(started, docker, options.waitStrategy, options.logPath);
    handle.releaseGuard = options.watchdog?.guard({ kind: 'docker', op: 'remove', container: handle.id });
    await handle.followOutput(options.since);
    return handle;
  }

  private async followOutput(since: Date): Promise<void> {
    this.follower?.stop();
    this.follower = await followLogs(this.docker, this.container, since, (line) => this.log.write(line + '\n'));
  }

  private fail(action: string, error: unknown): AftershockError {
    return new AftershockError('container-engine-failed', `container ${this.name}: ${action} failed: ${(error as Error).message}`, { cause: error });
  }

  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    try {
      await this.container.kill({ signal });
    } catch (error) {
      // 409: not running (already gone): nothing to signal.
      if (engineStatus(error) !== 409) throw this.fail(`kill --signal ${signal}`, error);
    }
  }

  async inspect(): Promise<ContainerState> {
    try {
      return containerStateOf(await this.container.inspect());
    } catch (error) {
      throw this.fail('inspect', error);
    }
  }

  async waitForExit(timeoutMs: number, signal?: AbortSignal): Promise<ContainerState | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const state = await this.inspect();
      if (!state.running) return state;
      if (performance.now() >= deadline) return undefined;
      await sleep(Math.min(50, Math.max(1, deadline - performance.now())), undefined, { signal });
    }
  }

  /** Starts it and waits until ready by the target's wait strategy (counting only output of this start). */
  async start(): Promise<void> {
    const since = new Date();
    try {
      await this.container.start();
    } catch (error) {
      if (engineStatus(error) !== 304) throw this.fail('start', error); // 304: already running
    }
    await this.followOutput(since);
    await this.waitStrategy.waitUntilReady(this.container, undefined, since);
  }

  async restart(graceMs: number): Promise<void> {
    const since = new Date();
    try {
      // The engine takes whole seconds.
      await this.container.restart({ t: Math.ceil(graceMs / 1000) });
    } catch (error) {
      throw this.fail('restart', error);
    }
    await this.followOutput(since);
    await this.waitStrategy.waitUntilReady(this.container, undefined, since);
  }

  async pause(): Promise<void> {
    await this.container.pause().catch((error: unknown) => {
      throw this.fail('pause', error);
    });
  }

  async unpause(): Promise<void> {
    try {
      await this.container.unpause();
    } catch (error) {
      // 409: not paused (or no longer running): nothing frozen to thaw.
      if (engineStatus(error) !== 409) throw this.fail('unpause', error);
    }
  }

  async update(limits: { cpus?: number | null; memoryMB?: number | null }): Promise<void> {
    const body: Record<string, number> = {};
    // No limit: all of the machine's cores (the engine refuses more, and takes 0 as "unchanged").
    if (limits.cpus !== undefined) body.NanoCpus = Math.round((limits.cpus ?? cpus().length) * 1e9);
    if (limits.memoryMB !== undefined) {
      if (limits.memoryMB === null) throw new AftershockError('bad-resize', `container ${this.name}: a memory limit cannot be lifted through the engine; give the target a memory limit to resize from`);
      // Swap equal to memory: no swap beyond the limit, so the limit is what the backend gets.
      body.Memory = limits.memoryMB * mb;
      body.MemorySwap = limits.memoryMB * mb;
    }
    try {
      await this.container.update(body);
    } catch (error) {
      throw this.fail(`update ${JSON.stringify(limits)}`, error);
    }
  }

  async putFile(path: string, content: string): Promise<void> {
    const archive = tarArchive([{ type: 'file', name: posix.basename(path), mode: 0o644, content: Buffer.from(content) }]);
    try {
      await this.container.putArchive(archive, { path: posix.dirname(path) });
    } catch (error) {
      throw this.fail(`copy of ${path} into it`, error);
    }
  }

  async exec(command: readonly string[]): Promise<ContainerExecResult> {
    try {
      const result = await this.started.exec([...command]);
      return { exitCode: result.exitCode, output: result.output };
    } catch (error) {
      throw this.fail(`exec ${command[0]}`, error);
    }
  }

  /** Stops (a paused container is thawed first), removes it with its anonymous volumes, and drops the watchdog's guard. Idempotent. */
  remove(graceMs = 3000): Promise<void> {
    this.removed ??= (async () => {
      try {
        await this.unpause().catch(() => undefined);
        await this.started.stop({ timeout: graceMs, remove: true, removeVolumes: true });
      } catch (error) {
        // 404: already gone. Anything else: force it, so that nothing is left behind.
        if (engineStatus(error) !== 404) {
          await this.container.remove({ force: true, v: true }).catch((again: unknown) => {
            if (engineStatus(again) !== 404) throw this.fail('remove', again);
          });
        }
      } finally {
        this.follower?.stop();
        await this.follower?.ended;
        await new Promise<void>((resolve) => this.log.end(resolve));
      }
      this.releaseGuard?.();
    })();
    return this.removed;
  }
}
