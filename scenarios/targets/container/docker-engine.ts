import type { ContainerRuntimeClient } from 'testcontainers';
import { AftershockError } from '../../errors.ts';

/** The engine's API as testcontainers holds it (dockerode), without importing dockerode ourselves. */
export type DockerApi = ContainerRuntimeClient['container']['dockerode'];
export type DockerContainer = ReturnType<DockerApi['getContainer']>;

/** On everything aftershock creates in the engine, so that leftovers can be found. */
export const managedLabel = 'aftershock.managed';

/**
 * Labels for everything aftershock creates in the engine: the managed label,
 * plus any given in AFTERSHOCK_DOCKER_LABELS ("key=value,key=value"), so that
 * a CI job (or a test suite) can find and clean up what it made.
 */
export function aftershockLabels(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const labels: Record<string, string> = { [managedLabel]: 'true' };
  for (const pair of (env.AFTERSHOCK_DOCKER_LABELS ?? '').split(',')) {
    const [key, ...value] = pair.split('=');
    if (key.trim()) labels[key.trim()] = value.join('=').trim();
  }
  return labels;
}

/**
 * Settings testcontainers reads, given defaults that suit aftershock:
 * - Ryuk (testcontainers' reaper) is an image pulled from a registry, which
 *   air-gapped machines cannot do; the chaos watchdog removes our
 *   containers instead (it guards each one from its creation).
 * - Containers use host networking, so the backend is on this machine's
 *   loopback; without the override, testcontainers running inside a
 *   container looks for the gateway of a `bridge` network, which a daemon
 *   started with `--bridge=none` does not have.
 * The user's own settings win.
 */
export function applyTestcontainersDefaults(env: NodeJS.ProcessEnv = process.env): void {
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}

let client: Promise<ContainerRuntimeClient> | undefined;

/**
 * The engine client (found the way testcontainers finds it: DOCKER_HOST,
 * ~/.testcontainers.properties, the local socket). Rejects with an error that
 * says how to get an engine.
 */
export async function dockerClient(): Promise<ContainerRuntimeClient> {
  applyTestcontainersDefaults();
  client ??= import('testcontainers').then((tc) => tc.getContainerRuntimeClient());
  try {
    return await client;
  } catch (error) {
    client = undefined;
    throw new AftershockError(
      'docker-unavailable',
      `no container engine answered (${(error as Error).message}); start Docker (e.g. \`dockerd --bridge=none --iptables=false &\`) or set DOCKER_HOST, then check with \`docker info\``,
      { cause: error },
    );
  }
}

/** Whether an engine answers, and why not; never throws. */
export async function probeDocker(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  try {
    const { dockerode } = (await dockerClient()).container;
    const version = (await dockerode.version()) as { Version?: string };
    return { ok: true, version: version.Version ?? 'unknown' };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** The status code of an engine API error (404 no such container, 304 not modified, 409 conflict). */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
