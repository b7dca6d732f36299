import { expect, test } from 'vitest';
import { EventMerger } from '../../scenarios/event-merger.ts';

test('releases events in time order only once every source has passed them', () => {
  const out: number[] = [];
  const merger = new EventMerger<{ t: number }>((e) => out.push(e.t));
  merger.addSource('a');
  merger.addSource('b');
  merger.push('a', [{ t: 1 }, { t: 5 }, { t: 9 }], 10);
  expect(out).toEqual([]); // b has promised nothing yet
  merger.push('b', [{ t: 2 }, { t: 3 }], 6);
  expect(out).toEqual([1, 2, 3, 5]);
  merger.push('b', [{ t: 7 }], 20);
  expect(out).toEqual([1, 2, 3, 5, 7, 9]);
  merger.push('a', [{ t: 12 }], 12);
  merger.drain();
  expect(out).toEqual([1, 2, 3, 5, 7, 9, 12]);
});

test('a closed source no longer holds the others back; drain releases the rest in order', () => {
  const out: number[] = [];
  const merger = new EventMerger<{ t: number }>((e) => out.push(e.t));
  merger.addSource('a');
  merger.addSource('b');
  merger.push('a', [{ t: 4 }, { t: 8 }], 8);
  merger.close('b');
  expect(out).toEqual([4, 8]);
  merger.push('a', [{ t: 9 }], 9);
  merger.push('b', [{ t: 1 }], 1); // late events from a closed source still come out, at drain
  merger.drain();
  expect(out).toEqual([4, 8, 9, 1]);
});

test('keeps order over many interleaved batches', () => {
  const out: number[] = [];
  const merger = new EventMerger<{ t: number }>((e) => out.push(e.t));
  const sources = ['s0', 's1', 's2', 's3'];
  sources.forEach((s) => merger.addSource(s));
  for (let round = 0; round < 200; round++) {
    sources.forEach((s, k) => {
      const events = [0, 1, 2].map((i) => ({ t: round * 10 + k + i * 0.1 }));
      merger.push(s, events, round * 10 + 9);
    });
  }
  merger.drain();
  expect(out).toHaveLength(200 * 4 * 3);
  for (let i = 1; i < out.length; i++) expect(out[i]).toBeGreaterThanOrEqual(out[i - 1]);
});

test('a source silent while the others go on is passed over; a pause of the consumer passes over nobody', () => {
  let clock = 0;
  const out: number[] = [];
  const merger = new EventMerger<{ t: number }>((e) => out.push(e.t), 15_000, () => clock);
  merger.addSource('a');
  merger.addSource('b');
  merger.push('b', [{ t: 1 }], 1);
  merger.push('a', [{ t: 2 }], 2);
  expect(out).toEqual([1]);
  // The consumer was blocked for 20 s; a's batch is read first, b's is still in its pipe.
  clock += 20_000;
  merger.push('a', [{ t: 30 }], 30);
  expect(out).toEqual([1]); // b is not stale: the silence was the consumer's
  merger.push('b', [{ t: 25 }], 31);
  expect(out).toEqual([1, 2, 25, 30]);
  // Now b hangs while a keeps pushing every 100 ms: after 15 s, a goes on alone.
  for (let i = 0; i < 160; i++) {
    clock += 100;
    merger.push('a', [{ t: 40 + i }], 40 + i);
  }
  expect(out.length).toBeGreaterThan(100);
  expect(out.at(-1)).toBe(199);
  for (let i = 1; i < out.length; i++) expect(out[i]).toBeGreaterThanOrEqual(out[i - 1]);
});
