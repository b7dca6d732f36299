// Which built-in timelines the planner can predict as one outage, and the
// reason it gives for the others (instead of a prediction that means nothing).
import { describe, expect, test } from 'vitest';
import { builtInScenarios } from '../../scenarios/library/index.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { outageOfChaos, type ChaosEventLike } from '../../simulators/model/scenario-fault.ts';

const outageOf = (name: string): ReturnType<typeof outageOfChaos> => outageOfChaos(validateScenario(builtInScenarios[name], name).chaos as unknown as ChaosEventLike[]);

describe('the planner and a scenario timeline', () => {
  test('one fault, or faults that overlap into one outage, are modelled', () => {
    expect(outageOf('hard-kill')).toMatchObject({ kind: 'hard-kill', atMs: 30_000, outageMs: 120_000 });
    // Nov 4: the CPU lockup, then a forced stop held closed: one outage from the lockup to the opening.
    const nov4 = outageOf('nov4-cpu-lockup');
    expect(nov4).toMatchObject({ kind: 'freeze' });
    expect((nov4 as { note: string }).note).toMatch(/2 chaos events modelled as one outage/);
  });

  test('a gradual memory fill is not predicted as a freeze from its start', () => {
    expect(outageOf('oct7-memory-exhaustion')).toEqual({ reason: expect.stringMatching(/memory-hog fills memory gradually.*give --fault and --outage/) });
  });

  test('faults with the backend up between them are not one outage', () => {
    expect(outageOf('kill-under-writes')).toEqual({ reason: expect.stringMatching(/^the planner models one outage; this timeline has \d+ faults with the backend up between them/) });
    expect(outageOf('flapping')).toEqual({ reason: expect.stringMatching(/faults with the backend up between them/) });
    // Touching faults (one restarts as the next begins) still are one.
    const touching: ChaosEventLike[] = [
      { kind: 'kill', at: 10_000, for: 20_000 },
      { kind: 'kill', at: 30_000, for: 5_000, holdClosed: 5_000 },
    ];
    expect(outageOfChaos(touching)).toMatchObject({ kind: 'hard-kill', atMs: 10_000, outageMs: 30_000 });
  });
});
