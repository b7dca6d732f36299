import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const cli = new URL('../../scenarios/cli/main.ts', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the aftershock CLI in a child process (without blocking the test worker). */
export function aftershock(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: options.cwd, timeout: options.timeoutMs ?? 90_000, env: options.env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A small real run for report tests: 200 devices on the reference backend,
 * killed 10 s (scenario time) after the fleet is online and restarted a
 * minute later, at time scale 60 (a run takes 5-15 s of real time).
 */
export function smallScenario(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    seed: 'reports',
    timeScale: 60,
    // Timeouts well above what a busy 2-core machine needs for a connect burst at scale 60 (30 s is 0.5 s real).
    fleet: { devices: 200, rampUp: '30s', connectTimeout: '30s', handshakeTimeout: '30s' },
    chaos: [{ kind: 'kill', at: '10s', for: '1m' }],
    settle: '5s',
    // Ends as soon as every device is back; the deadline only bounds a run that goes wrong.
    deadline: '40m',
    ...extra,
  };
}

export function writeScenario(dir: string, scenario: Record<string, unknown>): string {
  const path = join(dir, `${String(scenario.name)}.json`);
  writeFileSync(path, JSON.stringify(scenario, null, 2));
  return path;
}
