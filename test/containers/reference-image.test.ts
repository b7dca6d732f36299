import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dockerClient } from '../../scenarios/targets/container/docker-engine.ts';
import { buildReferenceImage, importGraph, withDependencies, parseLdd, referenceImageName, referenceImageRecipe, type ImageBuildResult } from '../../scenarios/targets/container/reference-image.ts';
import { containerTarget } from '../../scenarios/targets/container-target.ts';
import type { StartedTarget } from '../../scenarios/targets/target.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { dockerAvailable, handshake, requireDockerInCi } from './docker-fixture.ts';

describe('the reference image recipe (no engine needed)', () => {
  test('ldd output: every library and the loader, at the paths named', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007fa5)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007fa4)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007fa5c49ed000)',
    ].join('\n');
    expect(parseLdd(output)).toEqual(['/lib/x86_64-linux-gnu/libdl.so.2', '/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });

  test('the backend is copied with everything it imports, workers included, and ws', () => {
    const graph = importGraph([join(process.cwd(), 'simulators/backend/main.ts')]);
    const names = graph.files.map((f) => f.split('/').pop());
    expect(names).toContain('backend-server.ts');
    // Started by path (new URL('./worker-main.ts', import.meta.url)), not imported.
    expect(names).toContain('worker-main.ts');
    expect(graph.packages).toEqual(['ws']);
  });

  test('FROM scratch: the running node, its shared libraries and the app, nothing pulled', () => {
    const recipe = referenceImageRecipe();
    expect(recipe.dockerfile.split('\n')[0]).toBe('FROM scratch');
    const paths = recipe.files.map((f) => f.path);
    expect(paths).toContain('/usr/local/bin/node');
    expect(paths).toContain('/app/simulators/backend/main.ts');
    expect(paths).toContain('/app/node_modules/ws/package.json');
    expect(paths.some((p) => /\/libc\.so\.6$/.test(p))).toBe(true);
    expect(paths.some((p) => /ld-linux/.test(p))).toBe(true);
  });

  test('installed in a project: packages are found beside aftershock by Node\'s lookup, laid out as npm hoisted them', () => {
    // storm-checks/node_modules/{aftershock, ws, a, b@1}, and a's own b@2 nested under it.
    const project = mkdtempSync(join(tmpdir(), 'aftershock-layout-'));
    const modules = join(project, 'node_modules');
    const pkg = (dir: string, manifest: object): void => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
      writeFileSync(join(dir, 'index.js'), `export default ${JSON.stringify(dir)};\n`);
    };
    pkg(join(modules, 'aftershock'), { name: 'aftershock' });
    pkg(join(modules, 'ws'), { name: 'ws', version: '8.0.0' });
    pkg(join(modules, 'a'), { name: 'a', dependencies: { b: '^2' } });
    pkg(join(modules, 'b'), { name: 'b', version: '1.0.0' });
    pkg(join(modules, 'a', 'node_modules', 'b'), { name: 'b', version: '2.0.0' });
    const placed = withDependencies(join(modules, 'aftershock'), ['a', 'b', 'ws']);
    expect(placed).toEqual([
      { name: 'a', source: join(modules, 'a'), path: '/app/node_modules/a' },
      { name: 'b', source: join(modules, 'a', 'node_modules', 'b'), path: '/app/node_modules/a/node_modules/b' },
      { name: 'b', source: join(modules, 'b'), path: '/app/node_modules/b' },
      { name: 'ws', source: join(modules, 'ws'), path: '/app/node_modules/ws' },
    ]);
    expect(() => withDependencies(join(modules, 'aftershock'), ['zod'])).toThrow(
      `the reference backend needs the npm package "zod", which Node cannot find from ${join(modules, 'aftershock')}; run npm install (or npm ci) where aftershock is installed`,
    );
  });
});

describe.runIf(dockerAvailable)('the reference image on a real engine', () => {
  let build: ImageBuildResult;
  let target: StartedTarget | undefined;

  beforeAll(async () => {
    build = await buildReferenceImage();
    console.log(`reference image ${build.tag}: ${(build.sizeBytes / 1e6).toFixed(1)} MB, ${build.built ? `built in ${Math.round(build.durationMs)} ms` : 'up to date'}`);
  }, 300_000);

  afterAll(async () => {
    await target?.stop();
  });

  test('is one layer, built from nothing but this machine (no base image)', async () => {
    const info = (await (await dockerClient()).container.dockerode.getImage(build.tag).inspect()) as { RootFS: { Layers: string[] }; Config: { Entrypoint: string[] } };
    expect(info.RootFS.Layers).toHaveLength(1);
    expect(info.Config.Entrypoint).toEqual(['/usr/local/bin/node', '/app/simulators/backend/main.ts']);
    // The runtime is most of it; 300 MB would mean something else crept in.
    expect(build.sizeBytes).toBeGreaterThan(50e6);
    expect(build.sizeBytes).toBeLessThan(300e6);
  });

  test('a second build with the same contents is skipped', async () => {
    const again = await buildReferenceImage();
    expect(again.built).toBe(false);
    expect(again.imageId).toBe(build.imageId);
  });

  test('serves devices on loopback: welcome, then a pushed assignment', async () => {
    const scenario = validateScenario({ name: 'image', fleet: { devices: 1 }, target: { kind: 'container', memory: '256m', cpus: 1 } }, 'test');
    if (scenario.target.kind !== 'container') throw new Error('unreachable');
    expect(scenario.target.image).toBeUndefined();
    target = await containerTarget(scenario.target).start({ runDir: mkdtempSync(join(tmpdir(), 'aftershock-image-')), timeScale: 1 });
    expect(target.endpoints.wsBaseUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const state = await target.container!.inspect();
    expect(state).toMatchObject({ running: true, cpus: 1, memoryMB: 256 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => handshake(target!.endpoints.wsBaseUrl, `img-${i}`, 5000)));
    expect(results).toEqual(Array(20).fill('welcome'));
    const put = await fetch(`${target.endpoints.httpBaseUrl}/devices/img-0/content`, { method: 'PUT', body: JSON.stringify({ url: 'https://example.test/a' }) });
    expect(put.status).toBe(200);
    const device = (await (await fetch(`${target.endpoints.httpBaseUrl}/devices/img-0`)).json()) as { content: { url: string } };
    expect(device.content.url).toBe('https://example.test/a');
    expect(referenceImageName).toMatch(/^aftershock\/reference-backend:/);
  });
});

requireDockerInCi();
