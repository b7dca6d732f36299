import { describe, expect, test } from 'vitest';
import { gateFailed, formatGateTable } from '../../reports/gate/gate-table.ts';
import { changePercent, compareMetrics, formatChange, parseTolerance } from '../../reports/gate/metric-changes.ts';
import type { RunSummary } from '../../reports/run-collector.ts';
import { syntheticSummary } from './summary-fixture.ts';

const base = syntheticSummary(10);
const tweak = (changes: { recovery?: Partial<RunSummary['recovery']>; peak?: number; never?: number }): RunSummary => ({
  ...base,
  recovery: { ...base.recovery, ...changes.recovery },
  attempts: { ...base.attempts, peakPerSecond: changes.peak ?? base.attempts.peakPerSecond },
  neverReturned: { ...base.neverReturned, count: changes.never ?? base.neverReturned.count },
});

describe('the regression gate (pure)', () => {
  test('the same run twice: nothing changed, the gate passes', () => {
    const changes = compareMetrics(base, base, { tolerancePct: 10 });
    expect(changes.map((c) => c.status)).toEqual(Array(7).fill('unchanged'));
    expect(gateFailed(changes)).toBe(false);
  });

  test('worse within the tolerance passes; beyond it fails and is named', () => {
    // t50 5s -> 5.4s (+8%), t99 10s -> 12s (+20%).
    const changes = compareMetrics(base, tweak({ recovery: { t50: 5400, t99: 12_000 } }), { tolerancePct: 10 });
    expect(changes.find((c) => c.metric === 'recovery.t50')).toMatchObject({ status: 'worse', changePct: expect.closeTo(8, 6) });
    expect(changes.find((c) => c.metric === 'recovery.t99')).toMatchObject({ status: 'regressed', changePct: expect.closeTo(20, 6), baselineShown: '10s', currentShown: '12s' });
    expect(gateFailed(changes)).toBe(true);
    expect(formatGateTable(changes)).toMatch(/recovery\.t99\s+10s\s+12s\s+\+20%\s+✗ REGRESSED/);
  });

  test('from 0, or to never, any rise regresses', () => {
    const changes = compareMetrics(base, tweak({ never: 1, recovery: { t100: null } }), { tolerancePct: 50 });
    expect(changes.find((c) => c.metric === 'devices.never_returned')).toMatchObject({ status: 'regressed', changePct: Infinity });
    expect(changes.find((c) => c.metric === 'recovery.t100')).toMatchObject({ status: 'regressed', currentShown: 'never' });
  });

  test('better is better, and a metric the current run lacks fails the gate', () => {
    expect(compareMetrics(base, tweak({ peak: base.attempts.peakPerSecond! / 2 }), { tolerancePct: 0 }).find((c) => c.metric === 'attempts.peak_per_s')?.status).toBe('better');
    const noRestore = { ...base, restoredAtMs: null };
    const changes = compareMetrics(base, noRestore, { tolerancePct: 10 });
    expect(changes.find((c) => c.metric === 'recovery.t50')).toMatchObject({ status: 'missing', currentShown: 'not measured' });
    expect(gateFailed(changes)).toBe(true);
  });

  test('percentages and tolerances', () => {
    expect(changePercent(0, 0)).toBe(0);
    expect(changePercent(0, 3)).toBe(Infinity);
    expect(changePercent(4, 2)).toBe(-50);
    expect([formatChange(12.345), formatChange(-3.21), formatChange(0), formatChange(Infinity), formatChange(null)]).toEqual(['+12%', '-3.2%', '0%', '+∞', '–']);
    expect([parseTolerance('10%'), parseTolerance(' 2.5 % '), parseTolerance('0.1'), parseTolerance('-5%')]).toEqual([10, 2.5, undefined, undefined]);
  });
});
