import { expect, test } from 'vitest';
import { assertChaosPossible } from '../../chaos/chaos-preflight.ts';
import { AftershockError } from '../../scenarios/errors.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

const scenario = (chaos: object[]) => validateScenario({ name: 'c', fleet: { devices: 1 }, chaos }, 'test');
const noCgroups = (controller: 'cpu' | 'memory', pid: number) => ({ usable: false as const, controller, pid, looked: [`/sys/fs/cgroup/${controller} (missing)`] });

test('every cgroup fault on a kernel without cgroups is refused before anything starts, each with its path', () => {
  const s = scenario([
    { kind: 'kill', at: '1s', for: '1s' },
    { kind: 'cpu-quota', at: '1s', for: '1s', cpus: 0.5 },
    { kind: 'memory-hog', at: '1s', for: '1s', limitMB: 64, cgroupLimitMB: 128 },
  ]);
  let error: AftershockError | undefined;
  try {
    assertChaosPossible(s, noCgroups);
  } catch (e) {
    error = e as AftershockError;
  }
  expect(error?.code).toBe('chaos-unsupported');
  expect(error?.exitCode).toBe(2);
  expect(error?.details).toEqual([
    expect.stringMatching(/^chaos\.1 \(cpu-quota\): chaos "cpu-quota" needs a cgroup with the cpu controller .* Looked for: \/sys\/fs\/cgroup\/cpu \(missing\)/),
    expect.stringMatching(/^chaos\.2 \(memory-hog\): chaos "memory-hog" needs a cgroup with the memory controller/),
  ]);
});

test('faults that need no cgroup pass without probing', () => {
  const probe = () => {
    throw new Error('should not probe');
  };
  expect(() => assertChaosPossible(scenario([{ kind: 'freeze', at: '1s', for: '1s' }, { kind: 'memory-hog', at: '1s', for: '1s', limitMB: 64 }]), probe)).not.toThrow();
});
