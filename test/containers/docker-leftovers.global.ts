// Vitest global setup for the container tests. Everything the suite creates
// in the engine carries a label unique to this run of the suite (passed to
// the test workers with `provide`, and to aftershock through
// AFTERSHOCK_DOCKER_LABELS), so that suites run at the same time on one
// machine never touch each other's things. After the suite: the images it
// built are removed (the reference image is rebuilt per suite unless one
// with the same contents was already there), and the run fails if any
// container or volume with its label, or any new dangling image layer or
// volume, is left. Without an engine it does nothing.
import { randomUUID } from 'node:crypto';
import type { TestProject } from 'vitest/node';

export const suiteLabelKey = 'aftershock.test-suite';

declare module 'vitest' {
  export interface ProvidedContext {
    /** "aftershock.test-suite=<uuid>", for AFTERSHOCK_DOCKER_LABELS. */
    dockerSuiteLabel: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const suite = randomUUID();
  project.provide('dockerSuiteLabel', `${suiteLabelKey}=${suite}`);
  const { probeDocker, dockerClient } = await import('../../scenarios/targets/container/docker-engine.ts');
  if (!(await probeDocker()).ok) return undefined;
  const docker = (await dockerClient()).container.dockerode;
  const label = { label: [`${suiteLabelKey}=${suite}`] };
  const dangling = async (): Promise<string[]> => (await docker.listImages({ filters: { dangling: ['true'] } })).map((i) => i.Id);
  const volumes = async (): Promise<string[]> => ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name);
  const before = { dangling: new Set(await dangling()), volumes: new Set(await volumes()) };

  return async () => {
    for (const image of await docker.listImages({ filters: label })) await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    const left = {
      containers: (await docker.listContainers({ all: true, filters: label })).map((c) => c.Id),
      images: (await dangling()).filter((id) => !before.dangling.has(id)),
      volumes: (await volumes()).filter((name) => !before.volumes.has(name)),
    };
    const count = left.containers.length + left.images.length + left.volumes.length;
    if (count === 0) return;
    // Clean up, then fail: a leak is a bug even when it is cleared here.
    for (const id of left.containers) await docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
    throw new Error(
      `the container tests left ${count} thing(s) in the engine (their containers are now removed): ` +
        `containers [${left.containers.map((id) => id.slice(0, 12)).join(', ')}], ` +
        `dangling images [${left.images.map((id) => id.slice(7, 19)).join(', ')}], volumes [${left.volumes.join(', ')}]`,
    );
  };
}
