// A noisy-neighbour memory hog. Usage (run with --expose-gc):
//   node --expose-gc memory-hog.ts '{"rateMBps":256,"limitMB":1024,"floorMB":2048,"forMs":60000,"waitForGo":false}'
//
// It allocates Buffers in steps of at most STEP_MB and writes to every page,
// so the memory is really resident (an untouched allocation costs nothing),
// paced to `rateMBps`, until it holds `limitMB`. Before every step it reads
// MemAvailable and never takes the machine below `floorMB` (never below
// 2048 MB, whatever it is told). It then holds the memory until its deadline,
// SIGTERM or the close of its stdin. While it holds, if other processes push
// the machine below the floor, it gives memory back until it is above again.
//
// stdout, one JSON object per line:
//   {"ready":true,"pid":N,"availableMB":N}                 before anything is allocated
//   {"allocatedMB":N,"availableMB":N}                      progress, at most every PROGRESS_MS
//   {"stoppedBy":"limit"|"floor"|"cgroup"|"deadline","allocatedMB":N,"availableMB":N,"floorMB":N,"limitMB":N}
//   ("cgroup": the shared cgroup is full but for CGROUP_MARGIN_MB)
//   {"released":N,"allocatedMB":N,"availableMB":N}         when it gave memory back at the floor
// With waitForGo it allocates nothing until it reads the line "go" on stdin
// (the harness first moves it into a cgroup); the line may carry more
// options as JSON after the word: go {"cgroup":{...}}. With cgroup, it also
// stops when the cgroup it shares with the backend is all but full, and when
// its stdin closes it first moves itself out of that cgroup, then exits: a
// process that dies inside the group keeps the group busy for a moment and
// the watchdog's rmdir would fail.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { readMemAvailableMB } from '../proc-info.ts';

/** Largest single allocation, in MB: also how far past the floor another process's growth can go unnoticed. */
const STEP_MB = 16;
const PROGRESS_MS = 100;
/** How often the floor is checked while holding, in ms. */
const HOLD_CHECK_MS = 250;
/**
 * How much of a shared cgroup the hog leaves free, in MB: what the backend
 * allocates next takes the group over its limit, not the hog's next step, so
 * that the stall or the OOM kill happens to the backend while the hog stays
 * responsive (a hog stalled in the kernel could not keep its own deadline).
 */
const CGROUP_MARGIN_MB = STEP_MB;
/** The machine is never taken below this, whatever the arguments say. */
const HARD_FLOOR_MB = 2048;
const MB = 1024 * 1024;

interface HogOptions {
  rateMBps: number;
  limitMB: number;
  floorMB: number;
  forMs: number;
  waitForGo?: boolean;
  /**
   * A memory cgroup the hog shares with the backend: it fills it up to
   * CGROUP_MARGIN_MB below its limit, no further; `leaveTo` is the
   * cgroup.procs file it moves itself to before it exits on a closed stdin.
   */
  cgroup?: { usageFile: string; limitMB: number; leaveTo: string };
}

const options = JSON.parse(process.argv[2] ?? '{}') as HogOptions;
for (const key of ['rateMBps', 'limitMB', 'floorMB', 'forMs'] as const) {
  if (!(typeof options[key] === 'number' && options[key] > 0)) {
    process.stderr.write(`memory hog: "${key}" must be a positive number, got ${JSON.stringify(options[key])}\n`);
    process.exit(2);
  }
}
const floorMB = Math.max(HARD_FLOOR_MB, options.floorMB);
const startedAt = performance.now();
const deadline = startedAt + options.forMs;
const chunks: Buffer[] = [];
let allocatedMB = 0;

const emit = (message: object): void => {
  process.stdout.write(JSON.stringify(message) + '\n');
};
/**
 * MemAvailable in MB, or undefined when /proc/meminfo cannot be read just
 * now: in a full memory cgroup even that read can fail for want of memory.
 */
const available = (): number | undefined => readMemAvailableMB();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** MemAvailable, trying for up to a second; undefined if it stays unreadable. */
async function availableSoon(): Promise<number | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const mb = available();
    if (mb !== undefined) return mb;
    await sleep(50);
  }
  return undefined;
}

// The harness is gone (however it died): end at once, and the kernel takes the memory back.
const input = createInterface({ input: process.stdin });
let go: () => void = () => undefined;
const goReceived = new Promise<void>((resolve) => (go = resolve));
input.on('line', (line) => {
  const match = line.trim().match(/^go(?:\s+(\{.*\}))?$/);
  if (!match) return;
  // Only the cgroup is known this late; the bounds were fixed at the start.
  if (match[1]) options.cgroup = (JSON.parse(match[1]) as Pick<HogOptions, 'cgroup'>).cgroup;
  go();
});
/** Moves out of the shared cgroup, if in one, and exits. */
const leave = (code = 0): never => {
  if (options.cgroup) {
    try {
      writeFileSync(options.cgroup.leaveTo, String(process.pid));
    } catch {
      // Gone already, or not ours to leave: exit anyway.
    }
  }
  process.exit(code);
};
input.on('close', () => leave());
process.stdin.on('error', () => leave());
// The harness is gone while we still report progress.
process.stdout.on('error', () => leave());
process.on('uncaughtException', (error) => {
  process.stderr.write(`memory hog: ${error.stack ?? error.message}\n`);
  leave(1);
});

emit({ ready: true, pid: process.pid, availableMB: available() });
if (options.waitForGo) await goReceived;

/** Room left in the shared cgroup before its margin, in MB (unbounded without one). */
function cgroupRoomMB(): number {
  if (!options.cgroup) return Number.POSITIVE_INFINITY;
  try {
    const usedMB = Number(readFileSync(options.cgroup.usageFile, 'utf8').trim()) / MB;
    return Math.floor(options.cgroup.limitMB - CGROUP_MARGIN_MB - usedMB);
  } catch {
    // The group is gone (undone under us): grow no further.
    return 0;
  }
}

async function grow(): Promise<'limit' | 'floor' | 'cgroup' | 'deadline'> {
  const growStart = performance.now();
  let lastProgress = 0;
  while (true) {
    if (performance.now() >= deadline) return 'deadline';
    if (options.limitMB - allocatedMB <= 0) return 'limit';
    // Without MemAvailable the floor cannot be kept: no further step.
    const headroomMB = ((await availableSoon()) ?? 0) - floorMB;
    if (headroomMB < 1) return 'floor';
    const roomMB = cgroupRoomMB();
    if (roomMB < 1) return 'cgroup';
    const stepMB = Math.min(STEP_MB, options.limitMB - allocatedMB, headroomMB, roomMB);
    // allocUnsafeSlow: a fresh allocation, not the shared pool; fill writes every page.
    const chunk = Buffer.allocUnsafeSlow(Math.floor(stepMB * MB)).fill(0xa5);
    chunks.push(chunk);
    allocatedMB += stepMB;
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_MS) {
      emit({ allocatedMB: Math.round(allocatedMB), availableMB: available() });
      lastProgress = now;
    }
    // Pace to the rate: allocatedMB should not be reached before allocatedMB / rate seconds.
    const dueAt = growStart + (allocatedMB / options.rateMBps) * 1000;
    const waitMs = Math.min(dueAt, deadline) - performance.now();
    if (waitMs > 0) await sleep(waitMs);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const stoppedBy = await grow();
const final = { stoppedBy, allocatedMB: Math.round(allocatedMB), availableMB: available(), floorMB, limitMB: options.limitMB };
emit(final);
if (stoppedBy === 'floor') {
  const seen = final.availableMB === undefined ? 'MemAvailable unreadable' : `${final.availableMB} MB available`;
  process.stderr.write(`memory hog stopped early at the free-memory floor: ${seen}, floor ${floorMB} MB, holding ${final.allocatedMB} of ${options.limitMB} MB\n`);
}
if (stoppedBy === 'deadline') process.exit(0);

// Hold until the deadline; give memory back if others push the machine below the floor.
while (performance.now() < deadline) {
  await sleep(Math.min(HOLD_CHECK_MS, deadline - performance.now()));
  let released = 0;
  // An unreadable MemAvailable (see available) is looked at again next time.
  while (chunks.length > 0 && (available() ?? Number.POSITIVE_INFINITY) < floorMB) {
    released += chunks.pop()!.length / MB;
    (globalThis as { gc?: () => void }).gc?.();
  }
  if (released > 0) {
    allocatedMB -= released;
    emit({ released: Math.round(released), allocatedMB: Math.round(allocatedMB), availableMB: available() });
    process.stderr.write(`memory hog gave back ${Math.round(released)} MB: the machine was below the ${floorMB} MB floor\n`);
  }
}
process.exit(0);
