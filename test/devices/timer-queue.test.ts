import { expect, test } from 'vitest';
import { ManualClock } from '../../simulators/devices/clock.ts';
import { TimerQueue } from '../../simulators/devices/timer-queue.ts';

test('fires each subject once at its latest deadline, in time order', () => {
  const clock = new ManualClock();
  const fired: [number, number][] = [];
  const queue = new TimerQueue(clock, 5, (subject) => fired.push([subject, clock.now()]));
  queue.schedule(0, 50);
  queue.schedule(1, 10);
  queue.schedule(2, 30);
  queue.schedule(0, 20); // replaces 50
  queue.schedule(3, 40);
  queue.cancel(3);
  clock.advance(100);
  expect(fired).toEqual([
    [1, 10],
    [0, 20],
    [2, 30],
  ]);
});

test('a subject rescheduled from inside a firing runs again', () => {
  const clock = new ManualClock();
  let count = 0;
  const queue: TimerQueue = new TimerQueue(clock, 1, () => {
    if (++count < 3) queue.schedule(0, clock.now() + 10);
  });
  queue.schedule(0, 10);
  clock.advance(100);
  expect(count).toBe(3);
});

test('keeps order over many random deadlines', () => {
  const clock = new ManualClock();
  const fired: number[] = [];
  const n = 2000;
  const queue = new TimerQueue(clock, n, () => fired.push(clock.now()));
  for (let i = 0; i < n; i++) queue.schedule(i, (i * 7919) % 1000);
  clock.advance(1000);
  expect(fired).toHaveLength(n);
  for (let i = 1; i < n; i++) expect(fired[i]).toBeGreaterThanOrEqual(fired[i - 1]);
});

test('fires at most maxFiresPerTurn per turn, then yields and goes on', () => {
  const clock = new ManualClock();
  const turns: number[] = [];
  let inTurn = 0;
  // Each clock timer callback is one turn of the event loop; count fires per turn.
  const realSetTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (callback, delayMs) =>
    realSetTimeout(() => {
      inTurn = 0;
      callback();
      turns.push(inTurn);
    }, delayMs);
  const queue = new TimerQueue(clock, 1000, () => inTurn++, 100);
  for (let i = 0; i < 1000; i++) queue.schedule(i, 10);
  clock.advance(50);
  expect(turns.reduce((a, b) => a + b, 0)).toBe(1000);
  expect(Math.max(...turns)).toBe(100);
  expect(turns.filter((n) => n > 0)).toHaveLength(10);
});
