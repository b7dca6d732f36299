import { describe, expect, test } from 'vitest';
import { createPolicy, plannedDelays, seedPolicyDefaults, streamRng } from '../../simulators/devices/policy/index.ts';
import { devicePolicyRng } from '../../simulators/devices/fleet.ts';

const policy = createPolicy(seedPolicyDefaults);

describe('seed policy', () => {
  test('first wait is uniform in [0, 60 s] over many seeds', () => {
    const firsts: number[] = [];
    for (let seed = 0; seed < 200; seed++) {
      for (let device = 0; device < 50; device++) {
        firsts.push(policy.nextDelayMs(1, 0, devicePolicyRng(seed, device)));
      }
    }
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...firsts)).toBeLessThanOrEqual(60_000);
    // Uniform: each 6 s decile holds 10% of 10,000 draws, within 1.5 points.
    const deciles = new Array(10).fill(0);
    for (const d of firsts) deciles[Math.min(9, Math.floor(d / 6000))]++;
    for (const count of deciles) expect(Math.abs(count / firsts.length - 0.1)).toBeLessThan(0.015);
  });

  test('later waits grow by the factor from the previous one, never below base, never above the cap', () => {
    for (let seed = 0; seed < 500; seed++) {
      const delays = plannedDelays(policy, streamRng(seed, 'x'), 12);
      for (let i = 1; i < delays.length; i++) {
        const expected = Math.min(360_000, Math.max(10_000, delays[i - 1]) * 2);
        expect(delays[i]).toBe(expected);
        expect(delays[i]).toBeLessThanOrEqual(360_000);
      }
      expect(delays.at(-1)).toBe(360_000);
    }
  });

  test('jitter keeps later waits within [grown * (1 - jitter), grown]', () => {
    const jittered = createPolicy({ ...seedPolicyDefaults, jitter: 0.5 });
    for (let seed = 0; seed < 200; seed++) {
      const rng = streamRng(seed, 'j');
      let previous = jittered.nextDelayMs(1, 0, rng);
      for (let attempt = 2; attempt < 12; attempt++) {
        const grown = Math.min(360_000, Math.max(10_000, previous) * 2);
        const next = jittered.nextDelayMs(attempt, previous, rng);
        expect(next).toBeGreaterThanOrEqual(grown * 0.5);
        expect(next).toBeLessThanOrEqual(grown);
        previous = next;
      }
    }
  });

  test('same seed, same planned waits for every device; other devices do not shift them', () => {
    const waitsOf = (seed: string, device: number) => plannedDelays(policy, devicePolicyRng(seed, device), 8);
    const small = Array.from({ length: 10 }, (_, i) => waitsOf('s', i));
    const again = Array.from({ length: 10 }, (_, i) => waitsOf('s', i));
    expect(again).toEqual(small);
    // A fleet of 1,000 gives its first ten devices exactly the same waits.
    const large = Array.from({ length: 1000 }, (_, i) => waitsOf('s', i)).slice(0, 10);
    expect(large).toEqual(small);
    expect(waitsOf('other', 0)).not.toEqual(small[0]);
  });
});
