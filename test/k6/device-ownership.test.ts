import { describe, expect, it } from 'vitest';
import { devicesOfVu, vusFor } from '../../scenarios/k6/device-ownership.ts';
import { stripeOwners, vuIdsOfInstance } from './k6-striping.ts';

type Fraction = [number, number];

/** Every device's owners when each instance of `sequence` runs its VUs. */
function owners(sequence: Fraction[], vus: number, devices: number): { perDevice: number[]; perInstance: number[] } {
  const perDevice = new Array<number>(devices).fill(0);
  const perInstance: number[] = [];
  for (let segment = 0; segment < sequence.length - 1; segment++) {
    let held = 0;
    for (const vu of vuIdsOfInstance(sequence, segment, vus)) {
      const { first, count } = devicesOfVu(devices, vus, vu);
      for (let d = first; d < first + count; d++) perDevice[d]++;
      held += count;
    }
    perInstance.push(held);
  }
  return { perDevice, perInstance };
}

describe('device ownership across k6 instances', () => {
  it('stripes VU numbers as k6 does', () => {
    // k6's TestGetStripedOffsets (lib/execution_segment_test.go): sequence
    // 0,0.3,0.5,0.6,0.7,0.8,0.9,1 gives 0:0.3 the indexes 0,4,7 of every 10
    // (start 0, offsets 4,3,3), 0.3:0.5 the indexes 1,5 (start 1, offsets 4,6),
    // 0.5:0.6 index 2, 0.6:0.7 index 3, 0.8:0.9 index 8, 0.9:1 index 9
    // (which leaves index 6 to 0.7:0.8).
    const tenths: Fraction[] = [[0, 1], [3, 10], [5, 10], [6, 10], [7, 10], [8, 10], [9, 10], [1, 1]];
    expect(stripeOwners(tenths)).toEqual([0, 1, 2, 3, 0, 1, 4, 0, 5, 6]);
    // Same file: in 0,0.2,0.5,... the segment 0:0.2 starts at 1 with offsets 4,6.
    const other: Fraction[] = [[0, 1], [2, 10], [5, 10], [6, 10], [7, 10], [8, 10], [9, 10], [1, 1]];
    expect(vuIdsOfInstance(other, 0, 20)).toEqual([2, 6, 12, 16]);
    // Thirds: instance 1/3:2/3 gets every third VU number from 2.
    expect(vuIdsOfInstance([[0, 1], [1, 3], [2, 3], [1, 1]], 1, 7)).toEqual([2, 5]);
  });

  const sequences: Record<string, Fraction[]> = {
    'thirds 0:1/3, 1/3:2/3, 2/3:1': [[0, 1], [1, 3], [2, 3], [1, 1]],
    'unequal 0:1/2, 1/2:3/4, 3/4:1': [[0, 1], [1, 2], [3, 4], [1, 1]],
    'five runners': [[0, 1], [1, 5], [2, 5], [3, 5], [4, 5], [1, 1]],
    'one instance': [[0, 1], [1, 1]],
  };
  for (const [name, sequence] of Object.entries(sequences)) {
    it(`owns every device exactly once over ${name}`, () => {
      for (const vus of [1, 2, 3, 6, 7, 10, 33]) {
        for (const devices of [1, 5, 100, 1001, 99_999]) {
          const { perDevice } = owners(sequence, vus, devices);
          const wrong = perDevice.findIndex((n) => n !== 1);
          expect(wrong, `vus ${vus}, devices ${devices}: device ${wrong} owned ${perDevice[wrong]} times`).toBe(-1);
        }
      }
    });
  }

  it('splits the devices over the instances in proportion to their segments', () => {
    const { perInstance } = owners(sequences['thirds 0:1/3, 1/3:2/3, 2/3:1'], 9, 9_000);
    expect(perInstance).toEqual([3_000, 3_000, 3_000]);
    // Each VU holds N/V devices, give or take one.
    for (let vu = 1; vu <= 7; vu++) expect(devicesOfVu(100, 7, vu).count).toBeGreaterThanOrEqual(14);
  });

  it('gives nothing to a VU number outside 1..V', () => {
    expect(devicesOfVu(100, 4, 0)).toEqual({ first: 0, count: 0 });
    expect(devicesOfVu(100, 4, 5)).toEqual({ first: 0, count: 0 });
  });

  it('sizes the VUs: none over devicesPerVu, at least one per instance, a multiple of the instances', () => {
    expect(vusFor(100_000, 1000, 1)).toBe(100);
    expect(vusFor(100_000, 1000, 3)).toBe(102);
    expect(vusFor(10, 1000, 4)).toBe(4);
    expect(vusFor(2500, 1000, 1)).toBe(3);
  });
});
