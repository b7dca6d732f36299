// The command a user installs, tested as installed: `npm pack` of this
// repository, the tarball installed into a fresh project, and every verb run
// through `npx aftershock` under Node 24 and under the machine's own Node
// (20 here), whose bin hands over to the Node 24 that came with the package.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { constants } from 'node:os';
import { descendantsOf, installTarball, machineOldNode, npxAftershock, packRepo, repoRoot, startCommand, stillRunningAfter, userEnv, type CommandResult, type PackResult } from './installed-package.ts';

const work = mkdtempSync(join(tmpdir(), 'aftershock-installed-'));
const project = join(work, 'project');
let pack: PackResult;

beforeAll(() => {
  pack = packRepo(work);
  installTarball(project, pack.tarball);
  // A scenario file in TypeScript, importing the package's API and its types.
  writeFileSync(
    join(project, 'slow-storm.ts'),
    `import { defineScenario, type ScenarioInput } from 'aftershock';

// The same fleet as the baseline, with first retries spread over 5 minutes instead of 1.
const fleet: ScenarioInput['fleet'] = { devices: 200, rampUp: '30s', connectTimeout: '30s', handshakeTimeout: '30s' };
export default defineScenario({
  name: 'slow-storm',
  seed: 'installed',
  timeScale: 60,
  fleet,
  policy: { kind: 'seed', firstWaitMax: '5m' },
  chaos: [{ kind: 'kill', at: '10s', for: '1m' }],
  settle: '5s',
  deadline: '40m',
});
`,
  );
  writeFileSync(
    join(project, 'storm.json'),
    JSON.stringify({ name: 'storm', seed: 'installed', timeScale: 60, fleet: { devices: 200, rampUp: '30s', connectTimeout: '30s', handshakeTimeout: '30s' }, chaos: [{ kind: 'kill', at: '10s', for: '1m' }], settle: '5s', deadline: '40m' }),
  );
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the tarball', () => {
  test('holds what runs and nothing of the tests, benchmarks or the lockfile', () => {
    expect(pack.files).toContain('scenarios/cli/aftershock.mjs');
    expect(pack.files).toContain('scenarios/runtime/typescript-hooks.mjs');
    expect(pack.files).toContain('scenarios/index.ts');
    expect(pack.files).toContain('reports/summary.schema.json');
    expect(pack.files).toContain('README.md');
    expect(pack.files.filter((f) => f.startsWith('test/') || f.includes('/bench') || f === 'package-lock.json' || f.startsWith('.ci/'))).toEqual([]);
    // 239 files and 0.31 MB when this test was written; the bounds catch a runs/ folder or node_modules swept in.
    expect(pack.entryCount).toBeGreaterThan(150);
    expect(pack.entryCount).toBeLessThan(400);
    expect(pack.size).toBeLessThan(1_000_000);
  });

  test('its package.json says how to run and import it', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/aftershock/package.json'), 'utf8'));
    expect(manifest.bin).toEqual({ aftershock: 'scenarios/cli/aftershock.mjs' });
    expect(manifest.exports['.']).toEqual({ types: './scenarios/index.ts', default: './scenarios/index.ts' });
    // The Node 24 the bin hands over to on an older Node.
    expect(existsSync(join(project, `node_modules/node-${process.platform}-${process.arch}/bin/node`))).toBe(true);
  });

  test('a scenario file importing from aftershock type-checks in the user project', () => {
    // What a TypeScript project on Node has anyway; aftershock's sources use Node's types.
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-dev', '@types/node@24'], { cwd: project, env: userEnv(process.execPath), stdio: 'pipe' });
    writeFileSync(
      join(project, 'tsconfig.json'),
      // What Node's type stripping asks of a project: erasable syntax, .ts imports.
      JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2024', strict: true, noEmit: true, allowImportingTsExtensions: true, erasableSyntaxOnly: true, verbatimModuleSyntax: true, skipLibCheck: true, types: ['node'] }, files: ['slow-storm.ts'] }),
    );
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    expect(() => execFileSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
    // And a mistake in it is caught by the package's types.
    writeFileSync(join(project, 'bad-storm.ts'), `import { defineScenario } from 'aftershock';\nexport default defineScenario({ name: 'x', fleet: { devices: 'many' } });\n`);
    writeFileSync(join(project, 'tsconfig.bad.json'), JSON.stringify({ extends: './tsconfig.json', files: ['bad-storm.ts'] }));
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.bad.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
    }
    expect(output).toMatch(/bad-storm\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
  });
});

const oldNode = machineOldNode();
const runtimes = [
  { name: `Node 24 (${process.version})`, node: process.execPath, tag: 'n24' },
  ...(oldNode ? [{ name: `the machine's Node (${oldNode.version})`, node: oldNode.path, tag: 'old' }] : []),
];
if (!oldNode) console.warn('installed-command: no Node older than 24 on PATH; only Node 24 is tested');

describe.each(runtimes)('npx aftershock on $name', ({ node, tag }) => {
  const out = (name: string): string => join(project, 'runs', `${tag}-${name}`);

  test('the bin runs on the Node it was started with, and hands over to Node 24', async () => {
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    expect(Number(version.slice(1).split('.')[0]) >= 24 || tag === 'old').toBe(true);
    const help = await npxAftershock(project, node, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: aftershock <command>');
  });

  test('list prints the built-in scenarios, exit 0', async () => {
    const list = await npxAftershock(project, node, ['list']);
    expect(list.code).toBe(0);
    for (const name of ['hard-kill', 'nov4-cpu-lockup', 'oct7-memory-exhaustion']) expect(list.stdout).toContain(name);
  });

  test('a missing baseline, an unknown flag, a bad device count: one line, exit 2', async () => {
    const gate = await npxAftershock(project, node, ['gate', '--baseline', 'missing.json', 'x']);
    expect(gate.code).toBe(2);
    expect(gate.stderr).toBe(`aftershock: error: baseline ${join(project, 'missing.json')} does not exist; give a summary.json or a run folder\n`);
    const flag = await npxAftershock(project, node, ['run', '--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/aftershock: error: .*--no-such-flag/);
    const devices = await npxAftershock(project, node, ['run', 'hard-kill', '--devices', 'lots']);
    expect(devices.code).toBe(2);
    expect(devices.stderr).toContain('--devices must be a whole number greater than 0, got "lots"');
  });

  test('run, report, gate pass and gate fail on real runs; a TypeScript scenario importing aftershock', async () => {
    const baseline = await npxAftershock(project, node, ['run', 'storm.json', '--out', out('base'), '--quiet']);
    expect(baseline.stderr).toBe('');
    expect(baseline.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out('base'), 'summary.json'), 'utf8'));
    expect(summary.devices).toBe(200);
    expect(summary.neverReturned.count).toBe(0);
    for (const file of ['events.ndjson', 'report.html', 'junit.xml', 'summary.md']) expect(existsSync(join(out('base'), file))).toBe(true);

    // report rebuilds the reports from the events.
    rmSync(join(out('base'), 'report.html'));
    const report = await npxAftershock(project, node, ['report', out('base')]);
    expect(report.code).toBe(0);
    expect(readFileSync(join(out('base'), 'report.html'), 'utf8')).toContain('<html');

    const same = await npxAftershock(project, node, ['gate', '--baseline', join(out('base'), 'summary.json'), out('base')]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('passed: no metric got worse by more than 10%');

    const slow = await npxAftershock(project, node, ['run', './slow-storm.ts', '--out', out('slow'), '--quiet']);
    expect(slow.stderr).toBe('');
    expect(slow.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out('slow'), 'summary.json'), 'utf8')).scenario).toBe('slow-storm');
    const worse = await npxAftershock(project, node, ['gate', '--baseline', join(out('base'), 'summary.json'), out('slow')]);
    expect(worse.code).toBe(1);
    expect(worse.stdout).toMatch(/recovery\.t50 .*REGRESSED/);
  });

  test('plan and export k6', async () => {
    const plan = await npxAftershock(project, node, ['plan', 'hard-kill', '--devices', '100000']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/100,?000/);
    const exported = await npxAftershock(project, node, ['export', 'k6', 'hard-kill', '--out', out('k6')]);
    expect(exported.code).toBe(0);
    for (const file of ['aftershock-k6.js', 'testrun.yaml', 'configmap.yaml']) expect(existsSync(join(out('k6'), file))).toBe(true);
  });

  /** The status a shell reports for a command: its exit code, or 128 + the signal that ended it. */
  const shellStatus = (result: CommandResult): number | null => result.code ?? (result.signal ? 128 + constants.signals[result.signal] : null);

  /** Starts a run at time scale 2 (minutes long), waits until devices are online, sends SIGINT to the whole process group. */
  const interruptRun = async (command: string, args: string[], dir: string): Promise<CommandResult> => {
    const { child, result } = startCommand(project, node, command, [...args, 'run', 'storm.json', '--time-scale', '2', '--out', dir, '--quiet']);
    const events = join(dir, 'events.ndjson');
    const deadline = Date.now() + 60_000;
    while (!(existsSync(events) && readFileSync(events, 'utf8').includes('"online"')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    process.kill(-child.pid!, 'SIGINT');
    return result;
  };

  test('Ctrl-C mid-run (SIGINT to the foreground process group): exit 130 and a partial summary', async () => {
    // The installed bin itself, as `npm link` or node_modules/.bin puts it on PATH.
    const direct = await interruptRun(join(project, 'node_modules/.bin/aftershock'), [], out('int-bin'));
    expect(direct).toMatchObject({ code: 130, signal: null });
    expect(JSON.parse(readFileSync(join(out('int-bin'), 'summary.json'), 'utf8')).outcome).toBe('interrupted');
    // Through npx: npm itself dies of the SIGINT after the run has ended, so the shell reports 130 (128 + 2).
    const viaNpx = await interruptRun('npx', ['aftershock'], out('int-npx'));
    expect(shellStatus(viaNpx)).toBe(130);
    expect(JSON.parse(readFileSync(join(out('int-npx'), 'summary.json'), 'utf8')).outcome).toBe('interrupted');
  });
  test('toxiproxy: SIGTERM to npx alone stops the server and everything under npx', async () => {
    const { child, result } = startCommand(project, node, 'npx', ['aftershock', 'toxiproxy', '--listen', '127.0.0.1:0']);
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!seen.includes('Toxiproxy API on') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toContain('Toxiproxy API on');
    const tree = descendantsOf(child.pid!);
    process.kill(child.pid!, 'SIGTERM');
    await result;
    const left = await stillRunningAfter(tree, 8000);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    expect(left).toEqual([]);
  });
});

describe.runIf(oldNode)('the bin on an older Node', () => {
  test('killed outright (SIGKILL), its Node 24 child notices and stops', async () => {
    const { child, result } = startCommand(project, oldNode!.path, join(project, 'node_modules/.bin/aftershock'), ['toxiproxy', '--listen', '127.0.0.1:0']);
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!seen.includes('Toxiproxy API on') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const tree = descendantsOf(child.pid!);
    expect(tree.length).toBe(1); // the Node 24 it handed over to
    process.kill(child.pid!, 'SIGKILL');
    await result;
    const left = await stillRunningAfter(tree, 8000);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    expect(left).toEqual([]);
  });
});

describe('npm link', () => {
  test('puts `aftershock` on PATH; it runs on the machine\'s Node and keeps the exit codes', () => {
    const prefix = join(work, 'global');
    const node = oldNode?.path ?? process.execPath;
    execFileSync('npm', ['link', '--no-audit', '--no-fund'], { cwd: repoRoot, env: { ...userEnv(node), npm_config_prefix: prefix }, stdio: 'pipe' });
    const env = { ...userEnv(node), PATH: `${join(prefix, 'bin')}:${userEnv(node).PATH}` };
    expect(execFileSync('aftershock', ['list'], { cwd: work, env, encoding: 'utf8' })).toContain('hard-kill');
    let status: number | null = 0;
    try {
      execFileSync('aftershock', ['gate', '--baseline', 'missing.json', 'x'], { cwd: work, env, stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number | null }).status;
    }
    expect(status).toBe(2);
  });
});
