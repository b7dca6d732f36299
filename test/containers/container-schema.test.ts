// Container targets and chaos without an engine: validation, preflight,
// plan labels and the size comparison's verdict.
import { describe, expect, test } from 'vitest';
import { assertChaosPossible } from '../../chaos/chaos-preflight.ts';
import { AftershockError } from '../../scenarios/errors.ts';
import { builtInScenarios } from '../../scenarios/library/index.ts';
import { planRun } from '../../scenarios/plan-run.ts';
import { parseMemorySize } from '../../scenarios/schema/memory-size-schema.ts';
import { assertMemoryLimitFits } from '../../scenarios/targets/container-target.ts';
import { tarHeader } from '../../scenarios/targets/container/tar-archive.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { formatSizeComparison, sizeVerdict, smallerOf } from '../../scenarios/cli/compare-targets-table.ts';
import { syntheticSummary } from '../reports/summary-fixture.ts';

const scenario = (target: object, chaos: object[] = []) => validateScenario({ name: 'c', fleet: { devices: 1 }, target, chaos }, 'test');

function errorOf(fn: () => unknown): AftershockError {
  try {
    fn();
  } catch (error) {
    return error as AftershockError;
  }
  throw new Error('expected an error');
}

describe('the container target schema', () => {
  test('defaults: the reference image, no limits, the ready line of the reference image is implied', () => {
    expect(scenario({ kind: 'container' }).target).toEqual({ kind: 'container', env: {}, startTimeout: 60_000, heartbeatInterval: 30_000 });
  });

  test('memory as docker writes it or as MB, cpus in cores', () => {
    expect(scenario({ kind: 'container', memory: '512m', cpus: 0.5 }).target).toMatchObject({ memory: 512, cpus: 0.5 });
    expect(scenario({ kind: 'container', memory: '2g' }).target).toMatchObject({ memory: 2048 });
    expect(scenario({ kind: 'container', memory: 300 }).target).toMatchObject({ memory: 300 });
    expect([parseMemorySize('1.5G'), parseMemorySize('262144k'), parseMemorySize('64mb'), parseMemorySize('12'), parseMemorySize('-1m')]).toEqual([1536, 256, 64, undefined, undefined]);
  });

  test('every problem at once, each with its path', () => {
    const error = errorOf(() => scenario({ kind: 'container', memory: '12x', cpus: 0, ports: [1] }));
    expect(error.details).toEqual([
      'target.cpus: Too small: expected number to be >=0.01',
      'target.memory: "12x" is not a memory size: write MB as a number, or text such as "512m" or "2g"',
      'target: unknown key "ports"; remove or correct it',
    ]);
    expect(errorOf(() => scenario({ kind: 'container', memory: '16m' })).details).toEqual(['target.memory: must be at least 32 MB: a Node backend needs about 40 MB to start']);
    expect(errorOf(() => scenario({ kind: 'container', readyLine: 'up', readyPath: '/health' })).details).toEqual(['target.readyPath: give readyLine or readyPath, not both']);
    expect(errorOf(() => scenario({ kind: 'vm' })).message).toMatch(/unknown target kind; valid kinds: reference, container, process/);
  });

  test('integrity with a content origin: the reference image publishes to it, another image cannot be told where', () => {
    const withIntegrity = (target: object) => validateScenario({ name: 'i', fleet: { devices: 1 }, target, integrity: {} }, 'test');
    expect(withIntegrity({ kind: 'container', cpus: 1 }).integrity).toMatchObject({ origin: true });
    expect(errorOf(() => withIntegrity({ kind: 'container', image: 'nginx', port: 80 })).details).toEqual([
      'integrity.origin: needs the reference backend (target kind reference, or kind container without image: it is told where to publish manifests with --origin-url), got container with image nginx; set origin: false',
    ]);
  });

  test('a memory limit that would take the machine below its 2 GiB floor is refused', () => {
    expect(() => assertMemoryLimitFits(1024, 4096)).not.toThrow();
    const error = errorOf(() => assertMemoryLimitFits(3000, 4096));
    expect(error.code).toBe('memory-limit-too-large');
    expect(error.message).toBe('target.memory is 3000 MB, but only 2048 MB are available above the 2048 MB floor; lower it to at most 2048 MB');
  });
});

describe('container chaos before anything starts', () => {
  const all = [
    { kind: 'container-kill', at: '1s', for: '1s' },
    { kind: 'container-stop', at: '1s', for: '1s', grace: '2s' },
    { kind: 'container-pause', at: '1s', for: '1s' },
    { kind: 'container-resize', at: '1s', for: '1s', cpus: 0.5, memory: '256m' },
    { kind: 'container-oom', at: '1s', for: '1s' },
    { kind: 'container-restart', at: '1s', for: '1s' },
  ];

  test('refused on a process target, each with its path', () => {
    const error = errorOf(() => assertChaosPossible(scenario({ kind: 'reference' }, all)));
    expect(error.code).toBe('chaos-unsupported');
    expect(error.details).toHaveLength(6);
    expect(error.details[0]).toBe('chaos.0 (container-kill): needs a container target (target.kind "container"); target "reference" is not one');
  });

  test('the OOM hog and a memory resize need a memory limit on the target', () => {
    const error = errorOf(() => assertChaosPossible(scenario({ kind: 'container', cpus: 1 }, all)));
    expect(error.details).toEqual([
      'chaos.3 (container-resize): needs a container target with a memory limit (target.memory, e.g. "256m")',
      'chaos.4 (container-oom): needs a container target with a memory limit (target.memory, e.g. "256m")',
    ]);
    expect(() => assertChaosPossible(scenario({ kind: 'container', memory: '256m' }, all))).not.toThrow();
  });

  test('kill, stop and freeze on a container target are its engine faults; those with no equivalent are refused naming the kind to use', () => {
    const process = [
      { kind: 'kill', at: '1s', for: '1s', holdClosed: '10s' },
      { kind: 'stop', at: '1s', for: '1s' },
      { kind: 'freeze', at: '1s', for: '1s' },
    ];
    const noProbe = () => {
      throw new Error('a container fault needs no cgroup of the harness');
    };
    expect(() => assertChaosPossible(scenario({ kind: 'container' }, process), noProbe)).not.toThrow();
    const other = [
      { kind: 'cpu-quota', at: '1s', for: '1s', cpus: 0.5 },
      { kind: 'memory-hog', at: '1s', for: '1s', limitMB: 64, cgroupLimitMB: 128 },
    ];
    const error = errorOf(() => assertChaosPossible(scenario({ kind: 'container' }, other), noProbe));
    expect(error.code).toBe('chaos-unsupported');
    expect(error.exitCode).toBe(2);
    expect(error.details).toEqual([
      'chaos.0 (cpu-quota): needs a process the harness starts, and a container target\'s process belongs to the engine; use kind "container-resize" with cpus instead (a live `docker update` of the container\'s CPU limit, undone after `for`)',
      'chaos.1 (memory-hog): needs a process the harness starts, and a container target\'s process belongs to the engine; use kind "container-oom" instead (a hog inside the container grows into target.memory until the OOM killer ends the backend), or drop cgroupLimitMB for a neighbour outside the container',
    ]);
    // Held closed needs the reference image, which can start held closed; another image cannot.
    expect(errorOf(() => assertChaosPossible(scenario({ kind: 'container', image: 'nginx', port: 80 }, process))).details).toEqual([
      'chaos.0 (kill): needs a backend that takes chaos commands (the reference backend); target "container" does not',
    ]);
    // A process target still gets the process faults, not the engine's.
    expect(planRun(scenario({ kind: 'reference' }, process)).lines.join('\n')).toContain('chaos #1 inject: SIGKILL the backend');
  });

  test('every built-in scenario against a container target either runs or is refused before anything starts, naming what to use', () => {
    const outcomes = Object.fromEntries(
      Object.entries(builtInScenarios).map(([name, input]) => {
        const s = validateScenario({ ...input, target: { kind: 'container', cpus: 1, memory: '512m' } }, name);
        try {
          assertChaosPossible(s, () => {
            throw new Error(`${name}: a container fault needs no cgroup of the harness`);
          });
          return [name, 'runs'];
        } catch (error) {
          return [name, (error as AftershockError).details.join('; ')];
        }
      }),
    );
    expect(outcomes).toEqual({
      'hard-kill': 'runs',
      'nov4-cpu-lockup': 'runs',
      'oct7-memory-exhaustion': expect.stringMatching(/^chaos\.0 \(memory-hog\): .*; use kind "container-oom" instead/),
      'network-partition': 'runs',
      flapping: 'runs',
      'slow-network': 'runs',
      'kill-under-writes': 'runs',
    });
    const plan = (name: string) => planRun(validateScenario({ ...builtInScenarios[name], target: { kind: 'container' } }, name)).lines.join('\n');
    expect(plan('hard-kill')).toContain('chaos #1 inject: SIGKILL the container through the engine');
    expect(plan('nov4-cpu-lockup')).toContain('chaos #2 undo: start the container again, held closed for 4m');
    expect(plan('flapping')).not.toContain('SIGKILL the backend');
  });

  test('a resize needs cpus or memory', () => {
    expect(errorOf(() => scenario({ kind: 'container' }, [{ kind: 'container-resize', at: '1s', for: '1s' }])).details).toEqual(['chaos.0: give cpus, memory or both']);
  });

  test('the plan says what each fault does', () => {
    const lines = planRun(scenario({ kind: 'container', memory: '256m' }, all)).lines.join('\n');
    expect(lines).toContain('start target (container)');
    expect(lines).toContain('chaos #2 inject: stop the container: SIGTERM, forced with SIGKILL after 2s');
    expect(lines).toContain('chaos #4 inject: resize the container live to 0.5 CPU and 256 MB');
    expect(lines).toContain('chaos #5 inject: a memory hog in the container grows by 512 MB/s into its memory limit until the OOM killer ends the backend');
  });
});

describe('the size comparison', () => {
  const small = scenario({ kind: 'container', cpus: 0.5 }).target;
  const big = scenario({ kind: 'container', cpus: 2 }).target;

  test('the smaller size: fewer CPUs, then less memory', () => {
    expect(smallerOf(small, big)).toBe('A');
    expect(smallerOf(big, small)).toBe('B');
    expect(smallerOf(scenario({ kind: 'container', memory: 512 }).target, scenario({ kind: 'container', memory: 256 }).target)).toBe('B');
    expect(smallerOf(small, small)).toBeUndefined();
  });

  test('says when the smaller size recovered more slowly and with more failures', () => {
    const a = { key: 'A' as const, target: small, summary: syntheticSummary(10, { neverBack: 2 }), runDir: 'a' };
    const b = { key: 'B' as const, target: big, summary: syntheticSummary(10), runDir: 'b' };
    const verdict = sizeVerdict(a, b);
    expect(verdict).toMatchObject({ smaller: 'A', slower: 'A', moreFailures: 'A' });
    expect(verdict.text).toBe('the smaller size, A (cpus 0.5), recovered more slowly (recovery.t99 never against 10s) and with more failures (devices.never_returned 2 against 0)');
    const { text } = formatSizeComparison(a, b, verdict);
    expect(text.split('\n')[1]).toMatch(/^ {2}metric +A: cpus 0\.5 +B: cpus 2 +B vs A$/);
    expect(text).toMatch(/\n {2}recovery\.t99 +never +10s +-∞\n/);
    expect(text.split('\n').at(-1)).toBe(`  verdict: ${verdict.text}`);
  });

  test('says when the storm does not tell the sizes apart', () => {
    const a = { key: 'A' as const, target: small, summary: syntheticSummary(10), runDir: 'a' };
    const b = { key: 'B' as const, target: big, summary: syntheticSummary(10), runDir: 'b' };
    expect(sizeVerdict(a, b).text).toMatch(/^the smaller size, A \(cpus 0\.5\), did not recover more slowly or with more failures than B \(cpus 2\): this storm does not tell the sizes apart/);
  });
});

test('tar headers: ustar, root-owned, dated 0, with a valid checksum; long paths use the prefix field', () => {
  const header = tarHeader({ name: `rootfs/${'d/'.repeat(60)}file.ts`, mode: 0o644, size: 5, type: 'file' });
  expect(header.length).toBe(512);
  expect(header.toString('ascii', 257, 262)).toBe('ustar');
  expect(header.toString('utf8', 0, 100).replace(/\0+$/, '')).toBe('file.ts');
  expect(header.toString('utf8', 345, 500).replace(/\0+$/, '')).toBe(`rootfs/${'d/'.repeat(59)}d`);
  const stored = parseInt(header.toString('ascii', 148, 155), 8);
  const blank = Buffer.from(header);
  blank.fill(' ', 148, 156);
  expect(stored).toBe(blank.reduce((sum, byte) => sum + byte, 0));
});
