// A scenario's target.acceptRate: read as a rate in scenario time, refused
// with its path when it is not one, and only where the reference backend
// will receive it.
import { describe, expect, test } from 'vitest';
import { AftershockError } from '../../scenarios/errors.ts';
import { acceptRateArgs } from '../../scenarios/targets/reference-target.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

const base = { name: 'x', fleet: { devices: 3 } };

function problemsOf(input: unknown): string[] {
  try {
    validateScenario(input, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(AftershockError);
    return [...(error as AftershockError).details];
  }
  throw new Error('expected the scenario to be rejected');
}

describe('target.acceptRate', () => {
  test('a reference target takes a rate in scenario time, normalised to handshakes per second', () => {
    const rate = (acceptRate: unknown): unknown => (validateScenario({ ...base, target: { kind: 'reference', acceptRate } }, 'x').target as { acceptRate?: number }).acceptRate;
    expect(rate('40/s')).toBe(40);
    expect(rate('2400/m')).toBe(40);
    expect(rate(12.5)).toBe(12.5);
    // "unlimited" is as if none were given.
    expect(rate('unlimited')).toBeUndefined();
    expect(validateScenario({ ...base, target: { kind: 'reference' } }, 'x').target).not.toHaveProperty('acceptRate');
  });

  test('anything else is refused with its path', () => {
    expect(problemsOf({ ...base, target: { kind: 'reference', acceptRate: 'fast' } })).toEqual([
      'target.acceptRate: "fast" is not a rate: write handshakes per second of scenario time as "40/s", "2400/m", a number per second, or "unlimited"',
    ]);
    expect(problemsOf({ ...base, target: { kind: 'reference', acceptRate: 0 } })).toEqual([expect.stringMatching(/^target\.acceptRate: 0 is not a rate/)]);
    expect(problemsOf({ ...base, target: { kind: 'reference', acceptRate: '0/s' } })).toEqual([expect.stringMatching(/^target\.acceptRate: "0\/s" is not a rate/)]);
  });

  test('a container target takes it for the reference image with its own command only', () => {
    expect((validateScenario({ ...base, target: { kind: 'container', acceptRate: '40/s' } }, 'x').target as { acceptRate?: number }).acceptRate).toBe(40);
    expect(problemsOf({ ...base, target: { kind: 'container', image: 'my/hub:1', port: 8080, acceptRate: '40/s' } })).toEqual([
      "target.acceptRate: is passed to the reference backend's image only; leave image out to run it, or drop acceptRate and limit your backend yourself",
    ]);
    expect(problemsOf({ ...base, target: { kind: 'container', command: ['--port', '{port}'], acceptRate: '40/s' } })).toEqual([
      "target.acceptRate: is passed as --accept-rate in the reference image's default command; with a command of your own, drop acceptRate and add --accept-rate (real handshakes per second) to it",
    ]);
  });

  test('the other targets have no such key', () => {
    const problems = problemsOf({ ...base, target: { kind: 'external', url: 'ws://127.0.0.1:9', acceptRate: '40/s' } });
    expect(problems).toEqual([expect.stringMatching(/^target: unknown key "acceptRate"/)]);
  });

  test('the backend gets it in real time: the scenario rate times the time scale', () => {
    expect(acceptRateArgs(40, 20)).toEqual(['--accept-rate', '800']);
    expect(acceptRateArgs(0.5, 1)).toEqual(['--accept-rate', '0.5']);
    expect(acceptRateArgs(undefined, 20)).toEqual([]);
  });
});
