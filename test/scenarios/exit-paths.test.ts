import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';

const cli = new URL('../../scenarios/cli/main.ts', import.meta.url).pathname;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the run's backend has printed its ready line and returns its pid. */
async function backendPid(runDir: string, timeoutMs = 20_000): Promise<number> {
  const log = join(runDir, 'backend.log');
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (existsSync(log)) {
      const match = readFileSync(log, 'utf8').match(/"event":"ready","pid":(\d+)/);
      if (match) return Number(match[1]);
    }
    await sleep(50);
  }
  throw new Error(`no backend ready line in ${log} after ${timeoutMs} ms`);
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return false;
}

describe('whatever the harness started, it stops on every exit path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-exit-'));
  // Long enough that the run is still going when the test interrupts it.
  const scenarioFile = join(dir, 'long.json');
  writeFileSync(scenarioFile, JSON.stringify({ name: 'long', timeScale: 10, fleet: { devices: 50, rampUp: '1s' }, chaos: [{ kind: 'kill', at: '5m', for: '1m' }] }));
  let child: ChildProcess | undefined;
  let started: number[] = [];
  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
    started = [];
  });

  test('Ctrl-C: the backend is stopped, the summary is written, exit code 130', async () => {
    const runDir = join(dir, 'sigint');
    child = spawn(process.execPath, [cli, 'run', scenarioFile, '--quiet', '--out', runDir], { stdio: 'ignore' });
    const pid = await backendPid(runDir);
    started.push(pid);
    await sleep(500);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(alive(pid)).toBe(false);
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary.outcome).toBe('interrupted');
  });

  test('SIGKILL of the harness: the backend exits by itself within 5 s', async () => {
    const runDir = join(dir, 'sigkill');
    child = spawn(process.execPath, [cli, 'run', scenarioFile, '--quiet', '--out', runDir], { stdio: 'ignore' });
    const pid = await backendPid(runDir);
    started.push(pid);
    await sleep(500);
    child.kill('SIGKILL');
    expect(await waitUntilGone(pid, 5000)).toBe(true);
    // The event stream was on disk before the crash.
    expect(readFileSync(join(runDir, 'events.ndjson'), 'utf8')).toMatch(/"type":"run-start"/);
  });
});
