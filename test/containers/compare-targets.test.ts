import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { RunSummary } from '../../reports/run-collector.ts';
import { buildReferenceImage } from '../../scenarios/targets/container/reference-image.ts';
import { dockerAvailable, requireDockerInCi } from './docker-fixture.ts';

const cli = fileURLToPath(new URL('../../scenarios/cli/main.ts', import.meta.url));
const storm = fileURLToPath(new URL('./fixtures/resize-storm.json', import.meta.url));

function aftershock(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.runIf(dockerAvailable)('aftershock compare --target-a/--target-b: the same storm at two sizes', () => {
  beforeAll(async () => {
    await buildReferenceImage();
  }, 300_000);

  test('bad targets are refused before either run starts, with the flag and the path', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'aftershock-compare-')), 'cmp');
    const result = await aftershock(['compare', '--target-a', '{"kind":"container","cpus":0.5}', '--target-b', '{"kind":"container","cpus":-1}', storm, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/scenario .*resize-storm\.json with --target-b is invalid \(1 problem\): target\.cpus: Too small/);
    expect(existsSync(out)).toBe(false);
  });

  // A performance comparison on a shared machine: one retry when other load drowned it.
  test('cpus 0.5 against cpus 2: the smaller recovers more slowly or with more failures, and the table says so', { retry: 1, timeout: 300_000 }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'aftershock-compare-')), 'cmp');
    const result = await aftershock([
      'compare', '--quiet',
      '--target-a', '{"kind":"container","cpus":0.5,"memory":"256m"}',
      '--target-b', '{"kind":"container","cpus":2,"memory":"256m"}',
      storm, '--out', out,
    ]);
    console.log(result.stdout);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('aftershock compare: resize-storm, 1000 devices, seed "resize", time scale 60, A then B');
    expect(lines[1]).toMatch(/^ {2}metric +A: cpus 0\.5, memory 256 MB +B: cpus 2, memory 256 MB +B vs A$/);
    expect(result.stdout).toMatch(/\n {2}verdict: the smaller size, A \(cpus 0\.5, memory 256 MB\), (recovered more slowly|with more failures)/);

    const comparison = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as { verdict: { smaller: string; slower?: string; moreFailures?: string } };
    expect(comparison.verdict.smaller).toBe('A');
    expect([comparison.verdict.slower, comparison.verdict.moreFailures]).toContain('A');
    // One after the other, same scenario and seed.
    const a = JSON.parse(readFileSync(join(out, 'a', 'summary.json'), 'utf8')) as RunSummary;
    const b = JSON.parse(readFileSync(join(out, 'b', 'summary.json'), 'utf8')) as RunSummary;
    expect([a.seed, a.devices, a.scenario]).toEqual([b.seed, b.devices, b.scenario]);
    expect(Date.parse(b.startedAt)).toBeGreaterThan(Date.parse(a.startedAt));
    expect(readFileSync(join(out, 'compare.html'), 'utf8')).toContain('A (cpus 0.5, memory 256 MB)');
  });

  // As a user types it: the shorthand, and a built-in scenario whose kill becomes docker kill. In each
  // of three runs when this was written, a quarter of a core was 25-40% slower by t99, with twice the failures.
  test('container:cpus=0.25 against container:cpus=2 on hard-kill: the run names the smaller, slower side', { retry: 1, timeout: 300_000 }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'aftershock-compare-')), 'cmp');
    const result = await aftershock([
      'compare', '--quiet',
      '--target-a', 'container:cpus=0.25,memory=256m',
      '--target-b', 'container:cpus=2,memory=256m',
      'hard-kill', '--devices', '1000', '--time-scale', '60', '--out', out,
    ]);
    console.log(result.stdout);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('aftershock compare: hard-kill, 1000 devices, seed "hard-kill", time scale 60, A then B');
    expect(lines[1]).toMatch(/^ {2}metric +A: cpus 0\.25, memory 256 MB +B: cpus 2, memory 256 MB +B vs A$/);
    expect(result.stdout).toMatch(/\n {2}verdict: the smaller size, A \(cpus 0\.25, memory 256 MB\), recovered more slowly \(recovery\.t99 /);
    const comparison = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as { verdict: { smaller: string; slower?: string }; a: { target: object } };
    expect(comparison.verdict).toMatchObject({ smaller: 'A', slower: 'A' });
    expect(comparison.a.target).toMatchObject({ kind: 'container', cpus: 0.25, memory: 256 });
    for (const side of ['a', 'b']) {
      const summary = JSON.parse(readFileSync(join(out, side, 'summary.json'), 'utf8')) as RunSummary;
      expect(summary.chaos.find((c) => c.action === 'inject')).toMatchObject({ kind: 'kill', detail: expect.stringMatching(/^docker kill \(SIGKILL\) container /) });
      expect(summary.neverReturned.count).toBe(0);
    }
  });
});

requireDockerInCi();
