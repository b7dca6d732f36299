// Test helpers for the resource injectors: a real victim process as the
// "backend", and an InjectorContext around it with a real chaos watchdog.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InjectorContext } from '../../chaos/injector.ts';
import { cpuTimeMs } from '../../chaos/proc-info.ts';
import { ChaosWatchdog } from '../../chaos/watchdog/chaos-watchdog.ts';
import { ManagedProcess } from '../../scenarios/targets/managed-process.ts';

export const VICTIM_MAIN = fileURLToPath(new URL('./fixtures/victim.ts', import.meta.url));

export interface Victim {
  readonly process: ManagedProcess;
  readonly pid: number;
  readonly logPath: string;
  /** Busy-loop iterations of each 100 ms window that ended between the two epoch times (spin mode). */
  iterations(fromEpochMs: number, toEpochMs: number): number[];
  /** Lines the victim printed so far, parsed. */
  lines(): Record<string, unknown>[];
}

/**
 * Starts the victim (`spin`: burns one core and counts; `idle`) as a
 * ManagedProcess, like a backend the harness owns. On SIGUSR1 it allocates
 * `allocateMB`.
 */
export async function startVictim(dir: string, mode: 'spin' | 'idle', lifetimeMs = 60_000, allocateMB = 512): Promise<Victim> {
  const logPath = join(dir, `victim-${mode}-${Date.now()}.log`);
  const process_ = new ManagedProcess({
    name: 'victim',
    command: process.execPath,
    args: [VICTIM_MAIN, mode, String(lifetimeMs), String(allocateMB)],
    logPath,
    readyTimeoutMs: 15_000,
    isReadyLine: (line) => line.includes('"ready":true'),
  });
  await process_.start();
  const lines = (): Record<string, unknown>[] =>
    readFileSync(logPath, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    process: process_,
    pid: process_.pid!,
    logPath,
    lines,
    iterations: (from, to) =>
      lines()
        .filter((line) => typeof line.iterations === 'number' && (line.at as number) > from && (line.at as number) <= to)
        .map((line) => line.iterations as number),
  };
}

export interface TestChaos {
  dir: string;
  watchdog: ChaosWatchdog;
  /** What injectors noted on the run's timeline, oldest first. */
  notes: string[];
  context(victim: Victim | undefined, timeScale?: number): InjectorContext;
  close(): Promise<void>;
}

/** A run folder and a real watchdog for one test file. */
export async function startTestChaos(prefix: string): Promise<TestChaos> {
  const dir = mkdtempSync(join(tmpdir(), `aftershock-${prefix}-`));
  const watchdog = await ChaosWatchdog.start(dir);
  const notes: string[] = [];
  return {
    dir,
    watchdog,
    notes,
    context: (victim, timeScale = 1) => ({
      target: {
        endpoints: { wsBaseUrl: 'ws://127.0.0.1:9', httpBaseUrl: 'http://127.0.0.1:9' },
        ...(victim ? { process: victim.process } : {}),
        stop: async () => victim?.process.stop(),
      },
      timeScale,
      runDir: dir,
      watchdog,
      note: (detail) => notes.push(detail),
    }),
    close: () => watchdog.close(),
  };
}

/** The median of a list of numbers. */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median busy-loop iterations per 100 ms of the victim over the next `ms`. */
export async function measureIterations(victim: Victim, ms: number): Promise<number> {
  const from = Date.now();
  await sleep(ms);
  const to = Date.now();
  // The last window's line may still be on its way to the log.
  await sleep(250);
  return median(victim.iterations(from, to));
}

/** Share of one core the process used over the next `ms` (CPU time / wall time). */
export async function measureCpuShare(pid: number, ms: number): Promise<number> {
  const cpuBefore = cpuTimeMs(pid);
  const wallBefore = performance.now();
  await sleep(ms);
  const cpuAfter = cpuTimeMs(pid);
  const wall = performance.now() - wallBefore;
  if (cpuBefore === undefined || cpuAfter === undefined) throw new Error(`process ${pid} is gone`);
  return (cpuAfter - cpuBefore) / wall;
}

/** Polls `condition` every 50 ms; resolves true once it holds, false after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await condition()) return true;
    await sleep(50);
  }
  return condition();
}

/** True while a process with this PID exists and is not a zombie. */
export { isAlive } from '../../chaos/proc-info.ts';

/**
 * A lock across test files (vitest runs files in parallel) for the tests
 * that measure a victim's CPU share, so that one file's burners or spinning
 * victim do not count as another's effect. Other load on the machine still
 * counts: those tests state tolerances for it. Returns the release.
 */
export async function lockCpuMeasurement(timeoutMs = 60_000): Promise<() => void> {
  const lock = join(tmpdir(), 'aftershock-test-cpu-measurement.lock');
  const end = performance.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch {
      // Held; take it over if its holder is gone.
      const holder = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (holder && !isAliveNow(holder)) rmSync(lock, { recursive: true, force: true });
      if (performance.now() > end) throw new Error(`the CPU measurement lock ${lock} was not free within ${timeoutMs} ms`);
      await sleep(100);
    }
  }
}

function isAliveNow(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
