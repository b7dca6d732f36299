import { describe, expect, test } from 'vitest';
import { builtInScenarios } from '../../scenarios/library/index.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { AftershockError } from '../../scenarios/errors.ts';

function problemsOf(input: unknown): string[] {
  try {
    validateScenario(input, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(AftershockError);
    expect((error as AftershockError).exitCode).toBe(2);
    return [...(error as AftershockError).details];
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario validation', () => {
  test('every built-in scenario is valid', () => {
    for (const [name, input] of Object.entries(builtInScenarios)) {
      expect(validateScenario(input, name).name).toBe(name);
    }
  });

  test('normalises durations to ms and fills defaults', () => {
    const s = validateScenario({ name: 'x', fleet: { devices: 3, rampUp: '1.5s' }, chaos: [{ kind: 'kill', at: '90s', for: '6m' }] }, 'x');
    expect(s.fleet.rampUp).toBe(1500);
    expect(s.chaos[0]).toEqual({ kind: 'kill', at: 90_000, for: 360_000, holdClosed: 0 });
    expect(s.policy).toEqual({ kind: 'seed', firstWaitMaxMs: 60_000, baseMs: 10_000, factor: 2, capMs: 360_000, jitter: 0 });
    expect(s.timeScale).toBe(1);
  });

  test('reports every bad field with its path, at once', () => {
    const problems = problemsOf({
      name: 'Bad Name',
      timeScale: 0,
      fleet: { devices: -5, typo: true },
      policy: { kind: 'fibonacci' },
      chaos: [{ kind: 'kill', at: 'soon', for: '1m' }],
      extra: 1,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'name: use lowercase letters, digits and dashes',
        'timeScale: must be at least 1 (1 is real time)',
        'fleet.devices: needs at least 1 device',
        'fleet: unknown key "typo"; remove or correct it',
        expect.stringMatching(/^policy\.kind: unknown policy kind; valid kinds: seed, staged, none/),
        expect.stringMatching(/^chaos\.0\.at: "soon" is not a duration/),
        '(scenario): unknown key "extra"; remove or correct it',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  test('compound durations add up; a bare number in text is not a duration (60 would be 60 ms)', () => {
    const s = validateScenario({ name: 'x', fleet: { devices: 1, rampUp: '3m30s' }, deadline: '1h 2m' }, 'x');
    expect(s.fleet.rampUp).toBe(210_000);
    expect(s.deadline).toBe(3_720_000);
    expect(problemsOf({ name: 'x', fleet: { devices: 1, rampUp: '60' } })).toEqual([expect.stringMatching(/^fleet\.rampUp: "60" is not a duration/)]);
  });

  test('timeouts that vanish at the time scale are refused', () => {
    const problems = problemsOf({ name: 'x', timeScale: 5000, fleet: { devices: 1, connectTimeout: '10s' } });
    expect(problems).toContainEqual(expect.stringMatching(/^fleet\.connectTimeout: is 2\.0 ms of real time at time scale 5000, below the 20 ms floor/));
  });

  test('a heartbeat timeout shorter than the heartbeat interval is refused', () => {
    expect(problemsOf({ name: 'x', fleet: { devices: 1, heartbeatTimeout: '20s' } })).toEqual([
      expect.stringMatching(/^fleet\.heartbeatTimeout: must be longer than target\.heartbeatInterval/),
    ]);
  });
});
