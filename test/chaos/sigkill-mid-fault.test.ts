import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
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

/** Process state letter from /proc (R, S, T for stopped, Z...), or undefined if gone. */
function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** PIDs of processes whose command line mentions `needle` (our chaos children name the run folder or their script). */
function processesMentioning(needle: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(needle) && !line.includes('ps -eo'))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => pid !== process.pid);
}

/**
 * Each fault is held for ten minutes of scenario time, and the harness is
 * SIGKILLed while it is in effect: within 5 s nothing may be left frozen,
 * hogging or running.
 */
const faults: Record<string, object> = {
  freeze: { kind: 'freeze' },
  'cpu-hog': { kind: 'cpu-hog', dutyCycle: 1 },
  'hanging stop': { kind: 'stop', grace: '5m' },
};

describe('killing the harness with SIGKILL in the middle of a fault leaves nothing behind after 5 s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-sigkill-'));
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  for (const [name, fault] of Object.entries(faults)) {
    test(name, async () => {
      const runDir = join(dir, name.replace(/\W+/g, '-'));
      const chaos = name === 'hanging stop' ? [{ kind: 'cpu-hog', at: '1s', for: '10m' }, { ...fault, at: '2s', for: '10m' }] : [{ ...fault, at: '1s', for: '10m' }];
      const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, JSON.stringify({ name: 'sigkill', timeScale: 10, fleet: { devices: 20, rampUp: '1s' }, chaos, deadline: '30m' }));
      child = spawn(process.execPath, [cli, 'run', file, '--quiet', '--out', runDir], { stdio: 'ignore' });

      const events = join(runDir, 'events.ndjson');
      const injected = chaos.length;
      await waitFor('the fault in effect', () => {
        const text = existsSync(events) ? readFileSync(events, 'utf8') : '';
        return (text.match(/"action":"inject"/g) ?? []).length >= injected ? true : undefined;
      }, 20_000);
      await sleep(500);
      const backendPids = [...readFileSync(join(runDir, 'backend.log'), 'utf8').matchAll(/"event":"ready","pid":(\d+)/g)].map((m) => Number(m[1]));
      expect(backendPids.length).toBeGreaterThan(0);
      if (name === 'freeze') expect(stateOf(backendPids.at(-1)!)).toBe('T');

      child.kill('SIGKILL');
      const killedAt = Date.now();
      await waitFor('every process of the run gone', () => (backendPids.every((pid) => !alive(pid)) && processesMentioning(runDir).length === 0 ? true : undefined), 5000);
      expect(Date.now() - killedAt).toBeLessThanOrEqual(5000);
      // The watchdog wrote down what it undid.
      expect(readFileSync(join(runDir, 'watchdog.log'), 'utf8')).toMatch(/undoing \d+ action/);
    });
  }
});
