import { describe, expect, test } from 'vitest';
import { formatSummary } from '../../reports/console-summary.ts';
import { RunCollector } from '../../reports/run-collector.ts';
import { syntheticEvents, syntheticSummary } from './summary-fixture.ts';

describe('console summary', () => {
  test('says nothing extra when the whole fleet was online at the fault', () => {
    const text = formatSummary(syntheticSummary(10), '/tmp/run');
    expect(text).toMatch(/fault at \/ restored at\s+10s \/ 1m10s \(scenario time\)\n/);
    expect(text).not.toMatch(/online at the fault/);
  });

  test('names how many were online when the fault came before the fleet was', () => {
    // Two of the ten devices never came online before the kill.
    const events = syntheticEvents(10).filter((e) => !(e.t < 10_000 && 'device' in e && e.device >= 8 && e.type === 'online'));
    const collector = new RunCollector();
    for (const event of events) collector.add(event);
    const text = formatSummary(collector.summary(), '/tmp/run');
    expect(text).toMatch(/only 8 of 10 online at the fault \(the fleet did not come online within the online wait\)/);
  });
});
