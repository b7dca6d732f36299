import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { cdfMaxPoints, recoveryCdf, RunCollector, summarySchemaVersion } from '../../reports/run-collector.ts';
import { runSummarySchema } from '../../reports/summary-schema.ts';
import { renderSummarySchemaFile, summarySchemaFile } from '../../reports/write-summary-schema.ts';
import { syntheticEvents, syntheticSummary } from './summary-fixture.ts';

describe('summary additions for reports', () => {
  test('the time-to-reconnect CDF has one point per returned device when there are few', () => {
    const summary = syntheticSummary(10, { neverBack: 2 });
    // Devices 0..7 back 1s..8s after the restore; 2 never: the curve stops at 80%.
    expect(summary.recoveryCdf).toEqual({ ms: [1, 2, 3, 4, 5, 6, 7, 8].map((s) => s * 1000), share: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] });
  });

  test(`a large fleet's CDF is cut to at most ${cdfMaxPoints} evenly spaced ranks, first and last kept`, () => {
    const devices = 100_000;
    const sorted = Float64Array.from({ length: devices }, (_, i) => i + 1);
    const cdf = recoveryCdf(sorted, devices);
    expect(cdf.ms).toHaveLength(cdfMaxPoints);
    expect(cdf.ms[0]).toBe(200);
    expect(cdf.ms.at(-1)).toBe(devices);
    expect(cdf.share.at(-1)).toBe(1);
    expect(cdf.share[249]).toBe(0.5);
  });

  test('no restore, no CDF', () => {
    const collector = new RunCollector();
    for (const event of syntheticEvents(5).filter((e) => !(e.type === 'chaos' && e.action === 'undo'))) collector.add(event);
    expect(collector.summary().recoveryCdf).toBeNull();
  });

  test('handshake percentiles per scenario second (nearest rank, real ms)', () => {
    const summary = syntheticSummary(10);
    // Second 1: ten boot handshakes of 10..19 ms; then one per second after the restore.
    expect(summary.handshakeSeries[0]).toEqual({ t: 1000, count: 10, p50: 14, p90: 18, p99: 19 });
    expect(summary.handshakeSeries[1]).toEqual({ t: 71_000, count: 1, p50: 100, p90: 100, p99: 100 });
    expect(summary.handshakeSeries).toHaveLength(11);
  });

  test('a summary validates against its schema; the checked-in JSON Schema is the generated one', () => {
    const summary = syntheticSummary(10);
    expect(summary.schemaVersion).toBe(summarySchemaVersion);
    expect(runSummarySchema.safeParse(JSON.parse(JSON.stringify(summary))).success).toBe(true);
    expect(runSummarySchema.safeParse({ ...summary, recovery: { t50: 'soon' } }).success).toBe(false);
    // If this fails, run `npm run schema:summary` and commit reports/summary.schema.json.
    expect(readFileSync(summarySchemaFile, 'utf8')).toBe(renderSummarySchemaFile());
  });

  test('an event stream without run-end is a partial run', () => {
    expect(syntheticSummary(4, { end: false }).outcome).toBe('partial');
  });
});
