import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { dockerClient, engineStatus } from '../../scenarios/targets/container/docker-engine.ts';
import { buildReferenceImage } from '../../scenarios/targets/container/reference-image.ts';
import { dockerAvailable, requireDockerInCi } from './docker-fixture.ts';

const holder = fileURLToPath(new URL('./fixtures/hold-paused-container.ts', import.meta.url));

describe.runIf(dockerAvailable)('the watchdog when the harness is SIGKILLed with a container paused', () => {
  beforeAll(async () => {
    await buildReferenceImage();
  }, 300_000);

  test('thaws the container, then removes it, within 30 s', async () => {
    const child = spawn(process.execPath, [holder], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await Promise.race([
      createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]),
      sleep(60_000).then(() => ['']),
    ])) as [string];
    expect(line).not.toBe('');
    const { id, runDir } = JSON.parse(line) as { id: string; runDir: string };
    const container = (await dockerClient()).container.dockerode.getContainer(id);
    expect((await container.inspect()).State.Paused).toBe(true);

    child.kill('SIGKILL');
    let gone = false;
    for (let i = 0; i < 300 && !gone; i++) {
      await sleep(100);
      gone = await container.inspect().then(
        () => false,
        (error: unknown) => engineStatus(error) === 404,
      );
    }
    expect(gone).toBe(true);
    const log = readFileSync(join(runDir, 'watchdog.log'), 'utf8');
    // Newest first: the pause's unpause, then the container's removal.
    expect(log).toMatch(new RegExp(`docker unpause ${id.slice(0, 12)}[\\s\\S]*docker remove ${id.slice(0, 12)}`));
  }, 90_000);
});

requireDockerInCi();
