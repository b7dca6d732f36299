import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';

const cli = new URL('../../scenarios/cli/main.ts', import.meta.url).pathname;

function aftershock(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

function expectOneLineError(result: ReturnType<typeof aftershock>, pattern: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stderr.split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^aftershock: error: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('bad input exits 2 with one line that says what to do', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-cli-'));
  let blocker: Server | undefined;
  afterEach(() => blocker?.close());

  test('unknown scenario lists the built-in ones', () => {
    expectOneLineError(aftershock('run', 'no-such-scenario'), /unknown scenario "no-such-scenario"; built-in scenarios: hard-kill/);
  });

  test('missing scenario file', () => {
    expectOneLineError(aftershock('run', './nope.ts'), /scenario file \.\/nope\.ts does not exist/);
  });

  test('negative and non-numeric devices', () => {
    expectOneLineError(aftershock('run', '--devices=-5'), /--devices must be a whole number greater than 0, got "-5"/);
    expectOneLineError(aftershock('run', '--devices', 'lots'), /--devices must be a whole number greater than 0, got "lots"/);
  });

  test('bad duration in a scenario file names its path', () => {
    const file = join(dir, 'bad-duration.json');
    writeFileSync(file, JSON.stringify({ name: 'bad', fleet: { devices: 10 }, chaos: [{ kind: 'kill', at: '10 fortnights', for: '1m' }] }));
    expectOneLineError(aftershock('run', file), /chaos\.0\.at: "10 fortnights" is not a duration/);
  });

  test('unknown flag and unknown command', () => {
    expectOneLineError(aftershock('run', '--devcies', '5'), /Unknown option '--devcies'.*aftershock run --help/);
    expectOneLineError(aftershock('launch'), /unknown command "launch"; commands: run, (\w+, )*list/);
  });

  test('unreachable target: the backend cannot bind its port', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const file = join(dir, 'taken-port.json');
    writeFileSync(file, JSON.stringify({ name: 'taken', timeScale: 60, fleet: { devices: 5 }, target: { kind: 'reference', port } }));
    const result = aftershock('run', file, '--quiet', '--out', join(dir, 'taken-run'));
    expectOneLineError(result, new RegExp(`reference backend on 127\\.0\\.0\\.1:${port} exited before it was ready`));
  });
});

test('list names the built-in scenarios', () => {
  const result = aftershock('list');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/hard-kill\s+Backend hard-killed/);
});
