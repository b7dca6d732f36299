import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseContainerShorthand, readTargetSpec } from '../../scenarios/cli/target-spec.ts';
import { AftershockError } from '../../scenarios/errors.ts';
import { referenceImageName } from '../../scenarios/targets/container/reference-image.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

const cli = new URL('../../scenarios/cli/main.ts', import.meta.url).pathname;
const keys = 'valid keys: cpus, memory, image, port (e.g. container:cpus=0.5,memory=512m)';

function errorOf(fn: () => unknown): AftershockError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AftershockError) return error;
    throw error;
  }
  throw new Error('expected an AftershockError, nothing was thrown');
}

describe('container:KEY=VALUE,... shorthand for a container target', () => {
  test('the reference image with limits, as the JSON form gives it', () => {
    expect(readTargetSpec('--target-a', 'container:cpus=0.5,memory=512m')).toEqual({ kind: 'container', cpus: 0.5, memory: '512m' });
    expect(readTargetSpec('--target-b', ' container:memory=2g, cpus=2 ')).toEqual({ kind: 'container', cpus: 2, memory: '2g' });
    // Memory as a bare number is MB, as in the JSON form.
    expect(readTargetSpec('--target-a', 'container:memory=256')).toEqual({ kind: 'container', memory: 256 });
    expect(readTargetSpec('--target-a', 'container')).toEqual({ kind: 'container' });
    expect(readTargetSpec('--target-a', 'container:')).toEqual({ kind: 'container' });
  });

  test('it validates as a scenario target: no image means the reference image, memory in MB', () => {
    const scenario = validateScenario({ name: 's', fleet: { devices: 1 }, target: readTargetSpec('--target-a', 'container:cpus=0.5,memory=512m') }, 'test');
    expect(scenario.target).toMatchObject({ kind: 'container', cpus: 0.5, memory: 512 });
    expect('image' in scenario.target && scenario.target.image).toBeFalsy();
  });

  test('another image needs the port it listens on; the reference image by name does not', () => {
    expect(parseContainerShorthand('--target-a', 'container:image=nginx:1.27,port=8080,cpus=1')).toEqual({ kind: 'container', image: 'nginx:1.27', port: 8080, cpus: 1 });
    expect(parseContainerShorthand('--target-a', `container:image=${referenceImageName}`)).toEqual({ kind: 'container', image: referenceImageName });
    expect(errorOf(() => parseContainerShorthand('--target-a', 'container:image=nginx')).message).toBe(
      `--target-a container:image=nginx: image=nginx needs port=N, the port that image listens on (for env, command or readyPath give the target as JSON); ${keys}`,
    );
  });

  test.each([
    ['unknown key', 'container:cpu=0.5', 'unknown key "cpu"'],
    ['missing value', 'container:cpus=,memory=512m', 'cpus has no value; write cpus=VALUE (a number of cores greater than 0, such as 0.5 or 2)'],
    ['no equals sign', 'container:memory', 'memory has no value; write memory=VALUE (a size such as 512m or 2g, or MB as a number)'],
    ['bad number', 'container:cpus=half', 'cpus must be a number of cores greater than 0, such as 0.5 or 2, got "half"'],
    ['zero cpus', 'container:cpus=0', 'cpus must be a number of cores greater than 0, such as 0.5 or 2, got "0"'],
    ['bad size', 'container:memory=lots', 'memory must be a size such as 512m or 2g, or MB as a number, got "lots"'],
    ['bad port', 'container:image=x,port=70000', 'port must be a port from 1 to 65535, got "70000"'],
    ['duplicate key', 'container:cpus=1,cpus=2', 'cpus is given twice; give each key once'],
    ['empty item', 'container:cpus=1,,memory=1g', '"" has no key; write KEY=VALUE, separated by commas'],
  ])('%s is refused (exit 2) naming the key and listing the valid keys', (_name, text, problem) => {
    const error = errorOf(() => readTargetSpec('--target-a', text));
    expect(error.code).toBe('bad-flag');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`--target-a ${text}: ${problem}; ${keys}`);
  });

  test('neither shorthand, JSON nor a file: the message shows all three forms', () => {
    expect(errorOf(() => readTargetSpec('--target-b', 'docker:cpus=1')).message).toBe(
      `--target-b must be container:KEY=VALUE,... (keys: cpus, memory, image, port), a target as JSON ('{"kind":"container","cpus":0.5}') or a JSON file; "docker:cpus=1" is none of these`,
    );
  });

  test('JSON and JSON files still work', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aftershock-target-')), 'small.json');
    writeFileSync(file, '{"kind":"container","cpus":0.25}');
    expect(readTargetSpec('--target-a', file)).toEqual({ kind: 'container', cpus: 0.25 });
    expect(readTargetSpec('--target-a', '{"kind":"container","memory":"1g"}')).toEqual({ kind: 'container', memory: '1g' });
  });
});

describe('aftershock compare with the shorthand: refused before either run starts', () => {
  const run = (...args: string[]) => {
    const result = spawnSync(process.execPath, [cli, 'compare', ...args], { encoding: 'utf8', timeout: 30_000 });
    return { code: result.status, stderr: result.stderr.trim() };
  };

  test('a bad key in --target-b: exit 2, one line, nothing written', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'aftershock-compare-')), 'cmp');
    const result = run('--target-a', 'container:cpus=0.5', '--target-b', 'container:cpus=2,ram=2g', 'hard-kill', '--out', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`aftershock: error: --target-b container:cpus=2,ram=2g: unknown key "ram"; ${keys}`);
    expect(existsSync(out)).toBe(false);
  });

  test('flags go through the CLI\'s own parser: a negative --devices is the --devices message', () => {
    const result = run('--target-a', 'container', '--target-b', 'container:cpus=2', '--devices', '-5');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('aftershock: error: --devices must be a whole number greater than 0, got "-5"');
    expect(run('--target-a', 'container', '--target-b', 'container', '--device', '5').stderr).toMatch(/^aftershock: error: Unknown option '--device'; compare takes --target-a, --target-b, --devices/);
  });

  test('a built-in scenario with chaos a container cannot take: refused before A runs, naming the kind to use', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'aftershock-compare-')), 'cmp');
    const result = run('--target-a', 'container:cpus=0.5,memory=512m', '--target-b', 'container:cpus=2,memory=2g', 'oct7-memory-exhaustion', '--out', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'aftershock: error: --target-a: the chaos timeline cannot run here (1 problem): chaos.0 (memory-hog): needs a process the harness starts, and a container target\'s process belongs to the engine; use kind "container-oom" instead (a hog inside the container grows into target.memory until the OOM killer ends the backend), or drop cgroupLimitMB for a neighbour outside the container',
    );
    expect(existsSync(out)).toBe(false);
  });

  test('the usage shows the shorthand', () => {
    const result = spawnSync(process.execPath, [cli, 'compare', '--target-a', 'x', '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--target-a container:cpus=0.5,memory=512m');
    expect(result.stdout).toContain('container:KEY=VALUE,...');
  });
});
