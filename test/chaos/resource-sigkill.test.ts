import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { probeCgroup } from '../../chaos/cgroup.ts';
import { isAlive, waitFor } from './chaos-fixtures.ts';

const harness = fileURLToPath(new URL('./fixtures/resource-harness.ts', import.meta.url));

interface Started {
  victimPid: number;
  chaosPids: number[];
  cgroupDir?: string;
  originalDir?: string;
}

const cpu = probeCgroup('cpu', process.pid);
const memory = probeCgroup('memory', process.pid);
const skipped = (probe: typeof cpu): string => (probe.usable ? '' : ` (skipped: no usable cgroup on this machine: ${probe.looked.join('; ')})`);

/**
 * The harness is SIGKILLed with the fault in effect and ten minutes of it to
 * go: within 5 s no chaos process may be left, the cgroup must be gone and
 * the backend back in its own group (the backend here outlives the harness,
 * so that where it ends up can be seen).
 */
describe('SIGKILL of the harness in the middle of a resource fault leaves nothing behind after 5 s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-resource-sigkill-'));
  let child: ChildProcess | undefined;
  let victimPid: number | undefined;
  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    if (victimPid !== undefined && isAlive(victimPid)) process.kill(victimPid, 'SIGKILL');
    child = victimPid = undefined;
  });

  const cases = [
    { kind: 'cpu-burn', skip: '' },
    { kind: 'cpu-quota', skip: skipped(cpu) },
    { kind: 'memory-hog', skip: skipped(memory) },
  ];
  for (const { kind, skip } of cases) {
    test.skipIf(skip !== '')(`${kind}${skip}`, async () => {
      const runDir = mkdtempSync(join(dir, `${kind}-`));
      child = spawn(process.execPath, [harness, kind, runDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const started = await firstLine(child);
      victimPid = started.victimPid;
      if (kind !== 'cpu-quota') expect(started.chaosPids.length).toBeGreaterThan(0);
      expect(started.chaosPids.every((pid) => isAlive(pid))).toBe(true);
      if (kind !== 'cpu-burn') expect(existsSync(started.cgroupDir!)).toBe(true);

      child.kill('SIGKILL');
      const killedAt = performance.now();
      const procsOf = (dir: string): number[] => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      const clean = (): boolean =>
        started.chaosPids.every((pid) => !isAlive(pid)) &&
        (started.cgroupDir === undefined || (!existsSync(started.cgroupDir) && procsOf(started.originalDir!).includes(started.victimPid)));
      expect(await waitFor(clean, 5000)).toBe(true);
      expect(performance.now() - killedAt).toBeLessThanOrEqual(5000);
      // The backend itself was not the watchdog's to kill.
      expect(isAlive(started.victimPid)).toBe(true);
      expect(readFileSync(join(runDir, 'watchdog.log'), 'utf8')).toMatch(/no clean end\); undoing \d+ action/);
    });
  }
});

async function firstLine(child: ChildProcess): Promise<Started> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{')) return JSON.parse(line) as Started;
  }
  throw new Error(`the harness exited (code ${child.exitCode}) before it said what it started`);
}
