import { describe, expect, test } from 'vitest';
import { defaultThresholds, evaluateThresholds } from '../../reports/thresholds/evaluate-thresholds.ts';
import { metricNames } from '../../reports/thresholds/metric-registry.ts';
import { parseThresholds, type Threshold } from '../../reports/thresholds/threshold.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { syntheticSummary } from './summary-fixture.ts';

const parse = (input: Record<string, string[]>): Threshold[] => {
  const { thresholds, problems } = parseThresholds(input);
  expect(problems).toEqual([]);
  return thresholds;
};

describe('parsing thresholds', () => {
  test('durations, counts and rates become numbers in the metric unit', () => {
    expect(parse({ 'recovery.t99': ['<6m'], 'attempts.peak_per_s': ['<=800/s'], 'devices.never_returned': ['==0'], 'handshake.p99': ['<250ms', '<300'] })).toEqual([
      { metric: 'recovery.t99', condition: '<6m', operator: '<', limit: 360_000 },
      { metric: 'attempts.peak_per_s', condition: '<=800/s', operator: '<=', limit: 800 },
      { metric: 'devices.never_returned', condition: '==0', operator: '==', limit: 0 },
      { metric: 'handshake.p99', condition: '<250ms', operator: '<', limit: 250 },
      { metric: 'handshake.p99', condition: '<300', operator: '<', limit: 300 },
    ]);
  });

  test('every problem is reported with its path; an unknown metric lists the valid ones', () => {
    const { problems } = parseThresholds({ 'recovery.t99': ['<6', 'about 6m'], 'recovery.t999': ['<1m'], 'failures.total': [] });
    expect(problems.map((p) => p.path)).toEqual([['recovery.t99', 0], ['recovery.t99', 1], ['recovery.t999'], ['failures.total']]);
    expect(problems[0].message).toMatch(/"6" in "<6" is not a limit for recovery\.t99: write a duration with a unit/);
    expect(problems[1].message).toMatch(/"about 6m" is not a condition: start with one of < <= > >= == !=/);
    expect(problems[2].message).toBe(`unknown metric "recovery.t999"; valid metrics: ${metricNames.join(', ')}`);
    expect(problems[3].message).toMatch(/needs at least one condition/);
  });

  test('a scenario with bad thresholds is rejected at load, every entry with its path', () => {
    const load = () => validateScenario({ name: 'x', fleet: { devices: 1 }, thresholds: { 'recovery.t99': ['<6'], nope: ['<1'] } }, 'test');
    expect(load).toThrow(/\(2 problems\): thresholds\.recovery\.t99\.0: "6" in "<6" is not a limit.*; thresholds\.nope: unknown metric "nope"; valid metrics: recovery\.t50, /);
  });

  test('a scenario normalises its thresholds; none declared is an empty list', () => {
    expect(validateScenario({ name: 'x', fleet: { devices: 1 }, thresholds: { 'recovery.t50': ['<1m'] } }, 'test').thresholds).toEqual([
      { metric: 'recovery.t50', condition: '<1m', operator: '<', limit: 60_000 },
    ]);
    expect(validateScenario({ name: 'x', fleet: { devices: 1 } }, 'test').thresholds).toEqual([]);
  });
});

describe('evaluating thresholds (pure)', () => {
  // 10 devices, back at 1s..10s after the restore: t50 5s, t90 9s, t100 10s.
  const summary = syntheticSummary(10);

  test('pass and fail with the value shown in the metric unit', () => {
    const results = evaluateThresholds(parse({ 'recovery.t50': ['<=5s'], 'recovery.t100': ['<10s'], 'failures.total': ['==10'] }), summary);
    expect(results.map((r) => [r.metric, r.condition, r.shown, r.passed, r.source])).toEqual([
      ['recovery.t50', '<=5s', '5s', true, 'scenario'],
      ['recovery.t100', '<10s', '10s', false, 'scenario'],
      ['failures.total', '==10', '10', true, 'scenario'],
      ['devices.never_returned', '==0', '0', true, 'default'],
    ]);
  });

  test('the default threshold fails when a device never came back, and a declared one replaces it', () => {
    const partial = syntheticSummary(10, { neverBack: 2 });
    expect(evaluateThresholds([], partial)).toMatchObject([{ metric: 'devices.never_returned', passed: false, value: 2, source: 'default' }]);
    const relaxed = evaluateThresholds(parse({ 'devices.never_returned': ['<=2'] }), partial);
    expect(relaxed).toHaveLength(1);
    expect(relaxed[0]).toMatchObject({ passed: true, source: 'scenario' });
  });

  test('a percentile among never-returned devices is "never" and fails an upper bound', () => {
    const partial = syntheticSummary(10, { neverBack: 2 });
    const [t100] = evaluateThresholds(parse({ 'recovery.t100': ['<1h'] }), partial);
    expect(t100).toMatchObject({ passed: false, value: null, shown: 'never' });
  });

  test('a metric the run did not measure fails', () => {
    const noBackend = { ...summary, backend: { ...summary.backend, peakCpuPercent: null } };
    const [cpu] = evaluateThresholds(parse({ 'backend.peak_cpu_percent': ['<90'] }), noBackend);
    expect(cpu).toMatchObject({ passed: false, value: null, shown: 'not measured' });
  });

  test('the default list holds exactly the never-returned rule', () => {
    expect(defaultThresholds).toEqual([{ metric: 'devices.never_returned', condition: '==0', operator: '==', limit: 0 }]);
  });
});
