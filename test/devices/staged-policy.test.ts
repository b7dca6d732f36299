import { describe, expect, test } from 'vitest';
import { devicePolicyRng } from '../../simulators/devices/device-streams.ts';
import { createPolicy, plannedDelays, stagedPolicyDefaults, type StagedPolicyParams } from '../../simulators/devices/policy/index.ts';
import { stagedPolicyOf, stagedPolicyTexts } from '../../scenarios/schema/policy-text.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

const rngs = (count: number) => Array.from({ length: count }, (_, i) => devicePolicyRng('staged', i));
const staged = (changes: Partial<StagedPolicyParams>) => createPolicy({ ...stagedPolicyDefaults, ...changes });

describe('the staged policy says what the incident text says', () => {
  test('defaults: first U(0, 60 s), then 60, 120, 240 s, capped at 6 minutes, drawing once', () => {
    let draws = 0;
    const counted = () => {
      draws++;
      return 0.25;
    };
    expect(plannedDelays(staged({}), counted, 7)).toEqual([15_000, 60_000, 120_000, 240_000, 360_000, 360_000, 360_000]);
    expect(draws).toBe(1);
  });

  test('the first wait is uniform over its window', () => {
    const policy = staged({ firstMinMs: 10_000, firstMaxMs: 40_000 });
    const thirds = [0, 0, 0];
    for (const rng of rngs(3000)) {
      const first = policy.nextDelayMs(1, 0, rng);
      expect(first).toBeGreaterThanOrEqual(10_000);
      expect(first).toBeLessThan(40_000);
      thirds[Math.floor((first - 10_000) / 10_000)]++;
    }
    for (const n of thirds) expect(Math.abs(n / 3000 - 1 / 3)).toBeLessThan(0.03);
    // Equal bounds: a fixed first wait that draws nothing.
    expect(staged({ firstMinMs: 5000, firstMaxMs: 5000 }).nextDelayMs(1, 0, () => { throw new Error('must not draw'); })).toBe(5000);
  });

  test('full, equal and decorrelated jitter of the later waits, by the AWS definitions', () => {
    const step = (k: number) => Math.min(360_000, 60_000 * 2 ** (k - 1));
    const full = staged({ jitter: 'full' });
    const equal = staged({ jitter: 'equal' });
    const decorrelated = staged({ jitter: 'decorrelated' });
    let fullSum = 0;
    for (const rng of rngs(2000)) {
      plannedDelays(full, rng, 8).slice(1).forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(step(i + 1));
        if (i === 5) fullSum += d;
      });
      plannedDelays(equal, rng, 8).slice(1).forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual(step(i + 1) / 2);
        expect(d).toBeLessThan(step(i + 1));
      });
      let previous = 60_000;
      plannedDelays(decorrelated, rng, 10).slice(1).forEach((d) => {
        expect(d).toBeGreaterThanOrEqual(60_000);
        expect(d).toBeLessThanOrEqual(Math.min(360_000, previous * 3));
        previous = d;
      });
    }
    // Full jitter at the cap averages half the cap.
    expect(Math.abs(fullSum / 2000 - 180_000)).toBeLessThan(8000);
  });
});

describe('the staged policy as written', () => {
  const policyOf = (policy: unknown) => validateScenario({ name: 'p', fleet: { devices: 1 }, policy }, 'test').policy;

  test('first/then/jitter in a scenario, with or without kind', () => {
    const expected = { kind: 'staged', firstMinMs: 0, firstMaxMs: 60_000, baseMs: 60_000, factor: 2, capMs: 360_000, jitter: 'none' };
    expect(policyOf({ first: 'uniform(0, 60s)', then: 'exponential(base 60s, factor 2, cap 6m)', jitter: 'none' })).toEqual(expected);
    expect(policyOf({ kind: 'staged' })).toEqual(expected);
    expect(policyOf({ first: 'fixed(5s)', then: 'constant(30s)', jitter: 'equal' })).toEqual({ ...expected, firstMinMs: 5000, firstMaxMs: 5000, baseMs: 30_000, factor: 1, capMs: 30_000, jitter: 'equal' });
    expect(policyOf({ then: 'exponential(cap 10m, base 2s)', jitter: 'decorrelated' })).toMatchObject({ baseMs: 2000, capMs: 600_000, jitter: 'decorrelated' });
  });

  test('bad texts are refused with what is wrong and what to write', () => {
    expect(() => policyOf({ first: 'normal(30s, 5s)' })).toThrow(/policy: first wait "normal\(30s, 5s\)": unknown distribution "normal"; write "uniform\(MIN, MAX\)"/);
    expect(() => policyOf({ first: 'uniform(60s, 10s)' })).toThrow(/upper bound is below the lower one/);
    expect(() => policyOf({ first: 'uniform(0, 60)' })).toThrow(/two durations/);
    expect(() => policyOf({ then: 'exponential(base 1m, factor 0.5)' })).toThrow(/factor must be a number from 1 to 100/);
    expect(() => policyOf({ then: 'exponential(base 10m, cap 1m)' })).toThrow(/cap \(1m\) is below base \(10m\)/);
    expect(() => policyOf({ then: 'exponential(step 1m)' })).toThrow(/"step 1m" is not "base D", "factor F" or "cap D"/);
    expect(() => policyOf({ first: '10s', jitter: 'half' })).toThrow(/jitter "half" is not one of none, full, equal, decorrelated/);
    expect(() => policyOf({ then: 'exponential(base 1s, factor 2)', jitter: 'decorrelated' })).toThrow(/decorrelated jitter grows by its own rule/);
    expect(() => policyOf({ kind: 'staged', grow: 2 })).toThrow(/unknown key "grow"/);
  });

  test('the texts of a policy read back as the same policy', () => {
    const samples: StagedPolicyParams[] = [
      stagedPolicyDefaults,
      { ...stagedPolicyDefaults, firstMinMs: 1500, firstMaxMs: 95_000, baseMs: 7_250, factor: 1.5, capMs: 3_723_000, jitter: 'full' },
      { ...stagedPolicyDefaults, firstMinMs: 30_000, firstMaxMs: 30_000, jitter: 'decorrelated' },
    ];
    for (const p of samples) {
      const back = stagedPolicyOf(stagedPolicyTexts(p));
      expect(back).toEqual({ ok: true, value: p });
    }
  });
});
