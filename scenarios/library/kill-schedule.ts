import { streamRng } from '../../simulators/devices/policy/rng.ts';

/** One planned hard kill: when (after the fleet is online) and how long the backend stays down, scenario ms. */
export interface PlannedKill {
  atMs: number;
  forMs: number;
}

export interface KillScheduleOptions {
  seed: string | number;
  kills: number;
  /** Every kill starts and ends within this span after the fleet is online. */
  spanMs: number;
  /** The backend runs at least this long between one restart and the next kill. */
  minGapMs: number;
  /** Each kill keeps the backend down for a uniform time in [min, max]. */
  downMs: readonly [min: number, max: number];
  /** No kill before this, scenario ms (a calm start, e.g. to measure the API before any fault); part of the span. Default 0. */
  leadMs?: number;
}

/**
 * Kills at seeded random moments: pure, so a scenario built from it is the
 * same scenario every time, and its plan can be printed before it runs.
 * Down times are drawn first; the remaining slack is spread over the gaps
 * by sorted uniform points, so every gap is at least `minGapMs` and the
 * moments are otherwise uniform. Times are whole 100 ms.
 */
export function killSchedule(options: KillScheduleOptions): PlannedKill[] {
  const { kills, minGapMs, downMs } = options;
  const leadMs = options.leadMs ?? 0;
  const spanMs = options.spanMs - leadMs;
  if (!Number.isInteger(kills) || kills < 1) throw new RangeError(`kills must be a positive integer, got ${kills}`);
  const rng = streamRng(options.seed, 'kill-schedule');
  const round = (ms: number): number => Math.round(ms / 100) * 100;
  const downs = Array.from({ length: kills }, () => round(downMs[0] + rng() * (downMs[1] - downMs[0])));
  const fixed = downs.reduce((a, b) => a + b, 0) + (kills - 1) * minGapMs;
  const slack = spanMs - fixed;
  if (slack < 0) {
    throw new RangeError(`${kills} kills of up to ${downMs[1]} ms with ${minGapMs} ms between them need ${fixed} ms, more than the span of ${spanMs} ms after the lead of ${leadMs} ms`);
  }
  const points = Array.from({ length: kills }, () => rng() * slack).sort((a, b) => a - b);
  const schedule: PlannedKill[] = [];
  let offset = leadMs;
  for (let i = 0; i < kills; i++) {
    // Rounding down keeps every kill inside the span and every gap at least minGapMs.
    schedule.push({ atMs: Math.floor((points[i] + offset) / 100) * 100, forMs: downs[i] });
    offset += downs[i] + minGapMs;
  }
  return schedule;
}
