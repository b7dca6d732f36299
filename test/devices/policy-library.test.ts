import { describe, expect, test } from 'vitest';
import { devicePolicyRng } from '../../simulators/devices/device-streams.ts';
import { createPolicy, drawAt, plannedDelays, policyDefaults, policyKinds, streamKey, subjectRng } from '../../simulators/devices/policy/index.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

const rngs = (count: number) => Array.from({ length: count }, (_, i) => devicePolicyRng('library', i));

describe('the AWS-style policies keep their definitions', () => {
  test('none: min(cap, base * factor^(n-1)), drawing nothing', () => {
    const none = createPolicy({ kind: 'none', baseMs: 1000, factor: 2, capMs: 360_000 });
    const drawn = () => {
      throw new Error('none must not draw');
    };
    expect(plannedDelays(none, drawn, 12)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 360_000, 360_000, 360_000]);
    // Far past the cap it stays at the cap (no overflow, no NaN).
    expect(none.nextDelayMs(5000, 360_000, drawn)).toBe(360_000);
  });

  test('full: uniform in [0, min(cap, base * 2^(n-1)))', () => {
    const full = createPolicy({ kind: 'full', baseMs: 1000, capMs: 60_000 });
    const thirds = [0, 0, 0];
    for (const rng of rngs(3000)) {
      const delays = plannedDelays(full, rng, 10);
      delays.forEach((d, k) => {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(60_000, 1000 * 2 ** k));
      });
      thirds[Math.floor(delays[9] / 20_000)]++;
    }
    // Uniform over [0, cap): each third holds a third of 3000 draws, within 3 points.
    for (const n of thirds) expect(Math.abs(n / 3000 - 1 / 3)).toBeLessThan(0.03);
  });

  test('equal: half the exponential wait plus up to the other half', () => {
    const equal = createPolicy({ kind: 'equal', baseMs: 1000, capMs: 60_000 });
    for (const rng of rngs(500)) {
      plannedDelays(equal, rng, 10).forEach((d, k) => {
        const temp = Math.min(60_000, 1000 * 2 ** k);
        expect(d).toBeGreaterThanOrEqual(temp / 2);
        expect(d).toBeLessThan(temp);
      });
    }
  });

  test('decorrelated: min(cap, U(base, 3 x previous)), starting from base', () => {
    const decorrelated = createPolicy({ kind: 'decorrelated', baseMs: 1000, capMs: 60_000 });
    for (const rng of rngs(500)) {
      let previous = 1000;
      plannedDelays(decorrelated, rng, 15).forEach((d) => {
        expect(d).toBeGreaterThanOrEqual(1000);
        expect(d).toBeLessThanOrEqual(Math.min(60_000, previous * 3));
        previous = d;
      });
    }
  });

  test('constant: the same wait every time', () => {
    expect(plannedDelays(createPolicy({ kind: 'constant', delayMs: 7000 }), () => 0.5, 4)).toEqual([7000, 7000, 7000, 7000]);
  });

  test('no policy ever returns more than its maxDelayMs', () => {
    for (const kind of policyKinds) {
      const policy = createPolicy(policyDefaults[kind]);
      for (const rng of rngs(200)) for (const d of plannedDelays(policy, rng, 30)) expect(d).toBeLessThanOrEqual(policy.maxDelayMs);
    }
  });
});

describe('per-device streams', () => {
  test('a counter-based stream: draw k of a subject depends only on (key, subject, k)', () => {
    const key = streamKey('s', 'family');
    const rng = subjectRng(key, 41);
    const first = [rng(), rng(), rng()];
    expect(first).toEqual([drawAt(key, 41, 0), drawAt(key, 41, 1), drawAt(key, 41, 2)]);
    expect(drawAt(key, 42, 0)).not.toBe(first[0]);
    expect(drawAt(streamKey('t', 'family'), 41, 0)).not.toBe(first[0]);
  });

  test('two subjects never draw the same number at the same count (the finaliser is a bijection)', () => {
    const key = streamKey('collide', 'family');
    const seen = new Set<number>();
    for (let i = 0; i < 200_000; i++) seen.add(drawAt(key, i, 3));
    expect(seen.size).toBe(200_000);
  });
});

describe('policies in a scenario', () => {
  const policyOf = (policy: unknown) => validateScenario({ name: 'p', fleet: { devices: 1 }, policy }, 'test').policy;

  test('every kind has defaults and turns durations into ms', () => {
    expect(policyOf({ kind: 'none' })).toEqual({ kind: 'none', baseMs: 1000, factor: 2, capMs: 360_000 });
    expect(policyOf({ kind: 'full', base: '2s', cap: '5m' })).toEqual({ kind: 'full', baseMs: 2000, capMs: 300_000 });
    expect(policyOf({ kind: 'equal' })).toEqual({ kind: 'equal', baseMs: 1000, capMs: 360_000 });
    expect(policyOf({ kind: 'decorrelated', base: '500ms' })).toEqual({ kind: 'decorrelated', baseMs: 500, capMs: 360_000 });
    expect(policyOf({ kind: 'constant', delay: '30s' })).toEqual({ kind: 'constant', delayMs: 30_000 });
  });

  test('unknown keys and kinds are refused, listing the kinds of the registry', () => {
    expect(() => policyOf({ kind: 'full', jitter: 1 })).toThrow(/policy: unknown key "jitter"/);
    expect(() => policyOf({ kind: 'fibonacci' })).toThrow(new RegExp(`valid kinds: ${policyKinds.join(', ')}`));
  });
});
