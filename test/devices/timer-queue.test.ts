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
