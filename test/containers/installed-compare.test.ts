// Container targets from the command a user installs: `npm pack`, the
// tarball installed into a fresh project, `npx aftershock` from there. The
// reference image is built from the installed package, whose npm packages
// (ws) are in the project's node_modules, not under aftershock's own folder.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dockerClient } from '../../scenarios/targets/container/docker-engine.ts';
import { installTarball, npxAftershock, packRepo } from '../installed/installed-package.ts';
import { dockerAvailable, requireDockerInCi } from './docker-fixture.ts';

const work = mkdtempSync(join(tmpdir(), 'aftershock-installed-containers-'));
const project = join(work, 'project');
// A tag of this test's own: the build below must not replace the image other tests use.
const tag = `aftershock-test/installed-reference:${randomBytes(4).toString('hex')}`;

describe.runIf(dockerAvailable)('container targets through the installed command', () => {
  beforeAll(() => {
    installTarball(project, packRepo(work).tarball);
  }, 300_000);

  afterAll(async () => {
    const docker = (await dockerClient()).container.dockerode;
    await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  test('the reference image builds from the installed package, with ws from the project\'s node_modules, and serves', async () => {
    const build = await npxAftershock(project, process.execPath, ['image', 'build', '--tag', tag, '--force', '--quiet'], 300_000);
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(new RegExp(`^aftershock: built ${tag.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(`));
    // Started by hand on the host network: its ready line comes only once the backend (and ws) loaded.
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer(tag)
      .withNetworkMode('host')
      .withCommand(['--host', '127.0.0.1', '--port', '0', '--db', '/data/backend.db'])
      .withWaitStrategy(Wait.forLogMessage('"event":"ready"'))
      .withStartupTimeout(30_000)
      .start();
    try {
      const output = (await container.exec(['/usr/local/bin/node', '-e', 'console.log(require.resolve("ws"))'], { workingDir: '/app/simulators/backend' })).output;
      expect(output.trim()).toBe('/app/node_modules/ws/index.js');
    } finally {
      await container.stop({ remove: true, removeVolumes: true });
    }
  }, 300_000);

  test('npx aftershock compare --target-a container:... --target-b container:... hard-kill names the smaller, worse side', async () => {
    const out = join(work, 'cmp');
    const result = await npxAftershock(
      project,
      process.execPath,
      ['compare', '--quiet', '--target-a', 'container:cpus=0.25,memory=256m', '--target-b', 'container:cpus=2,memory=256m', 'hard-kill', '--devices', '300', '--time-scale', '60', '--out', out],
      300_000,
    );
    console.log(result.stdout);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('aftershock compare: hard-kill, 300 devices, seed "hard-kill", time scale 60, A then B');
    // 300 devices do not always tell the sizes apart; the verdict names the smaller either way.
    expect(result.stdout).toMatch(/\n {2}verdict: the smaller size, A \(cpus 0\.25, memory 256 MB\), /);
    const comparison = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as { verdict: { smaller: string } };
    expect(comparison.verdict.smaller).toBe('A');
  }, 300_000);
});

requireDockerInCi();
