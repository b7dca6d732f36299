import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { AftershockError } from '../errors.ts';
import { memoryFloorMB, readMachineLimits } from '../preflight.ts';
import type { Scenario } from '../scenario-schema.ts';
import { aftershockLabels, applyTestcontainersDefaults } from './container/docker-engine.ts';
import { EngineContainer } from './container/engine-container.ts';
import { buildReferenceImage, referenceImageName, referenceImagePaths } from './container/reference-image.ts';
import type { ContainerWaitStrategy } from './container/wait-strategies/container-wait-strategy.ts';
import { HttpWaitStrategy } from './container/wait-strategies/http-wait-strategy.ts';
import { LogLineWaitStrategy } from './container/wait-strategies/log-line-wait-strategy.ts';
import { TcpWaitStrategy } from './container/wait-strategies/tcp-wait-strategy.ts';
import { acceptRateArgs, freePort, referenceAdmin } from './reference-target.ts';
import type { StartedTarget, Target, TargetContext } from './target.ts';

export type ContainerTargetConfig = Extract<Scenario['target'], { kind: 'container' }>;

/** The reference backend's ready line (simulators/backend/main.ts). */
const referenceReadyLine = '"event":"ready"';

/** "cpus 0.5, memory 256 MB" or "no limits". */
export function describeLimits(config: Pick<ContainerTargetConfig, 'cpus' | 'memory'>): string {
  const parts = [config.cpus === undefined ? undefined : `cpus ${config.cpus}`, config.memory === undefined ? undefined : `memory ${config.memory} MB`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no limits';
}

/** Whether a config runs the reference backend's image (which takes aftershock's flags and has admin routes). */
export function runsReferenceImage(config: Pick<ContainerTargetConfig, 'image'>): boolean {
  return config.image === undefined || config.image === referenceImageName;
}

/**
 * Refuses a memory limit that would let the container take the machine
 * below the 2 GiB floor: the limit is the most the container can hold, so a
 * limit that fits keeps the floor whatever happens inside it.
 */
export function assertMemoryLimitFits(memoryMB: number | undefined, availableMB: number | null, what = 'target.memory'): void {
  if (memoryMB === undefined || availableMB === null) return;
  if (memoryMB > availableMB - memoryFloorMB) {
    throw new AftershockError(
      'memory-limit-too-large',
      `${what} is ${memoryMB} MB, but only ${Math.max(0, availableMB - memoryFloorMB)} MB are available above the ${memoryFloorMB} MB floor; lower it to at most ${Math.max(0, availableMB - memoryFloorMB)} MB`,
    );
  }
}

const withPort = (text: string, port: number): string => text.replaceAll('{port}', String(port));

/**
 * A backend in a container: the user's image, or the reference backend's
 * image built locally (FROM scratch: no registry needed). Started with
 * testcontainers on the host network, so it listens on this machine's
 * loopback like a process target, with real CPU and memory limits (cgroups,
 * set by the engine). Ready when its ready line appears, when `readyPath`
 * answers 2xx, or when the port accepts connections. The container is
 * guarded by the chaos watchdog from its creation and removed on stop.
 */
export function containerTarget(config: ContainerTargetConfig): Target {
  const reference = runsReferenceImage(config);
  const image = config.image ?? referenceImageName;
  return {
    kind: 'container',
    description: `container ${image} (${describeLimits(config)})`,
    async start(context: TargetContext): Promise<StartedTarget> {
      assertMemoryLimitFits(config.memory, readMachineLimits().memAvailableMB);
      applyTestcontainersDefaults();
      // The reference image is built from this checkout when missing or out of date (cached by content).
      if (reference) await buildReferenceImage();
      const host = '127.0.0.1';
      const port = config.port ?? (await freePort(host));
      const heartbeatRealMs = Math.max(10, Math.round(config.heartbeatInterval / context.timeScale));
      const command =
        config.command?.map((arg) => withPort(arg, port)) ??
        (reference
          ? [
              '--host', host,
              '--port', String(port),
              '--db', `${referenceImagePaths.data}/backend.db`,
              '--heartbeat-interval-ms', String(heartbeatRealMs),
              '--hold-closed-if', referenceImagePaths.holdClosed,
              ...acceptRateArgs(config.acceptRate, context.timeScale),
              // Host network: the origin on this machine's loopback is the container's too.
              ...(context.originUrl === undefined ? [] : ['--origin-url', context.originUrl]),
              ...(context.expectedConnections === undefined ? [] : ['--workers', 'auto', '--expected-connections', String(context.expectedConnections)]),
            ]
          : undefined);
      const env = Object.fromEntries(Object.entries(config.env).map(([key, value]) => [key, withPort(value, port)]));
      const readyLine = config.readyLine ?? (reference && config.readyPath === undefined ? referenceReadyLine : undefined);
      const waitStrategy: ContainerWaitStrategy = (
        readyLine !== undefined ? new LogLineWaitStrategy(readyLine) : config.readyPath !== undefined ? new HttpWaitStrategy(`http://${host}:${port}${config.readyPath}`) : new TcpWaitStrategy(host, port)
      ).withStartupTimeout(config.startTimeout);
      const name = `aftershock-${basename(context.runDir).replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 40)}-${randomBytes(3).toString('hex')}`;

      const { GenericContainer } = await import('testcontainers');
      let definition = new GenericContainer(image)
        .withName(name)
        .withNetworkMode('host')
        .withLabels({ ...aftershockLabels(), 'aftershock.run': context.runDir })
        .withEnvironment(env)
        .withWaitStrategy(waitStrategy)
        // Stopped, not removed, when the backend dies: chaos reads the exit (OOMKilled) afterwards.
        .withAutoRemove(false);
      if (command) definition = definition.withCommand(command);
      if (config.cpus !== undefined || config.memory !== undefined) {
        definition = definition.withResourcesQuota({ cpu: config.cpus, memory: config.memory === undefined ? undefined : config.memory / 1024 });
      }
      const since = new Date();
      let release: (() => void) | undefined;
      let started;
      try {
        // Guarded from before its creation: if the harness dies during the start, the watchdog removes it by name.
        release = context.watchdog?.guard({ kind: 'docker', op: 'remove', container: name });
        started = await definition.start();
      } catch (error) {
        const { dockerClient } = await import('./container/docker-engine.ts');
        await (await dockerClient()).container.dockerode.getContainer(name).remove({ force: true, v: true }).catch(() => undefined);
        release?.();
        if (error instanceof AftershockError) throw error;
        throw new AftershockError('target-start-failed', `container target ${image} could not be started: ${(error as Error).message}`, { cause: error });
      }
      const container = await EngineContainer.adopt(started, { waitStrategy, logPath: join(context.runDir, 'backend.log'), since, watchdog: context.watchdog });
      release?.();
      if (config.memory !== undefined) {
        // No swap beyond the memory limit (testcontainers sets memory only): the limit is what the backend gets.
        await container.update({ memoryMB: config.memory });
      }
      const httpBaseUrl = `http://${host}:${port}`;
      return {
        endpoints: { wsBaseUrl: `ws://${host}:${port}`, httpBaseUrl },
        admin: reference ? { ...referenceAdmin(httpBaseUrl), holdClosedFile: referenceImagePaths.holdClosed } : undefined,
        container,
        stop: () => container.remove(),
      };
    },
  };
}
