// The README's GitHub Actions example, executed: its `run:` steps as written,
// in a project that installed the packed tarball, with the installed command.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { installTarball, npxAftershock, packRepo, repoRoot, userEnv } from './installed-package.ts';

interface Step {
  uses?: string;
  run?: string;
}

/** The workflow in the README's gate section. */
function readmeWorkflow(): { steps: Step[] } {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = /```yaml\n(# \.github\/workflows\/reconnect-storm\.yml\n[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```yaml block starting with # .github/workflows/reconnect-storm.yml');
  const workflow = parse(block[1]) as { jobs: Record<string, { steps: Step[] }> };
  return Object.values(workflow.jobs)[0];
}

interface StepResult {
  command: string;
  code: number | null;
  output: string;
}

/** Runs the job's `run:` steps in order in `project`, as a runner's bash would, stopping at the first that fails. */
async function runSteps(project: string, steps: Step[]): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    if (step.run === undefined) continue;
    const result = await new Promise<StepResult>((resolve) => {
      // npm reads npm_config_* from the environment: the packages are in its cache already.
      const env = { ...userEnv(process.execPath), npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
      execFile('bash', ['-e', '-c', step.run!], { cwd: project, env, encoding: 'utf8', timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ command: step.run!, code: error ? (typeof error.code === 'number' ? error.code : null) : 0, output: stdout + stderr });
      });
    });
    results.push(result);
    if (result.code !== 0) break;
  }
  return results;
}

const work = mkdtempSync(join(tmpdir(), 'aftershock-actions-'));
const project = join(work, 'project');
const job = readmeWorkflow();

/** A run made with the installed command into runs/NAME: the built-in hard-kill, as the workflow runs it, or a scenario file. */
function storeRun(name: string, args: string[]): Promise<void> {
  return npxAftershock(project, process.execPath, ['run', ...args, '--out', join(project, 'runs', name), '--quiet'], 240_000).then((result) => {
    expect(result.code, result.stderr).toBe(0);
  });
}

/** The built-in hard-kill with first retries spread over `firstWaitMax` instead of 1 minute. */
function hardKillWith(name: string, firstWaitMax: string): string {
  const scenario = join(project, `${name}.json`);
  writeFileSync(
    scenario,
    JSON.stringify({
      name: 'hard-kill',
      seed: 'hard-kill',
      timeScale: 20,
      fleet: { devices: 500, rampUp: '30s' },
      policy: { kind: 'seed', firstWaitMax },
      target: { kind: 'reference' },
      chaos: [{ kind: 'kill', at: '30s', for: '2m' }],
      deadline: '30m',
    }),
  );
  return scenario;
}

beforeAll(async () => {
  const pack = packRepo(work);
  // The user's project: aftershock in its package.json and lockfile, so the workflow's `npm ci` has something to install.
  installTarball(project, pack.tarball);
  mkdirSync(join(project, 'baselines'), { recursive: true });
  // What a team stores: a good run of the main branch, made by the workflow's own command.
  await storeRun('main', ['hard-kill', '--devices', '500']);
  // A baseline the pull request cannot match: every device retried within 10 s instead of 60 s.
  await storeRun('faster-policy', [hardKillWith('faster-policy', '10s')]);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the README's GitHub Actions example, run as written", () => {
  test('the workflow installs with npm ci, runs the storm and gates it with the installed command', () => {
    const commands = job.steps.flatMap((step) => (step.run === undefined ? [] : [step.run]));
    expect(commands[0]).toBe('npm ci');
    expect(commands.some((c) => c.startsWith('npx aftershock run '))).toBe(true);
    expect(commands.some((c) => c.startsWith('npx aftershock gate --baseline baselines/hard-kill.json '))).toBe(true);
  });

  test('against a baseline of the same code (a run of main), every step passes', async () => {
    copyFileSync(join(project, 'runs/main/summary.json'), join(project, 'baselines/hard-kill.json'));
    const results = await runSteps(project, job.steps);
    expect(results.map((r) => [r.command, r.code])).toEqual(job.steps.filter((s) => s.run).map((s) => [s.run, 0]));
    const gate = results.at(-1)!;
    expect(gate.output).toContain('passed: no metric got worse by more than 20%');
    // What the upload-artifact step keeps.
    for (const file of ['summary.json', 'report.html', 'junit.xml', 'summary.md']) expect(existsSync(join(project, 'runs/pr', file))).toBe(true);
  }, 480_000);

  test('against a baseline it cannot match, the gate step fails the job with exit 1 and names the metrics', async () => {
    copyFileSync(join(project, 'runs/faster-policy/summary.json'), join(project, 'baselines/hard-kill.json'));
    rmSync(join(project, 'runs/pr'), { recursive: true, force: true });
    const results = await runSteps(project, job.steps);
    const gate = results.at(-1)!;
    expect(gate.command).toMatch(/^npx aftershock gate /);
    expect(gate.code).toBe(1);
    expect(gate.output).toMatch(/recovery\.t50 .*REGRESSED/);
    expect(gate.output).toMatch(/FAILED: .*recovery\.t50/);
    // Every step before the gate passed.
    expect(results.slice(0, -1).map((r) => r.code)).toEqual(results.slice(0, -1).map(() => 0));
  }, 480_000);
});
