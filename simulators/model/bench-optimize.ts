/**
 * Does the policy advisor's answer hold? Two measurements in one script:
 *
 *   npm run bench:optimize
 *   npm run bench:optimize -- --run-devices 2000 --time-scale 20
 *
 * 1. `aftershock plan --optimize` for 1M devices through a 24-minute hard
 *    kill, a 5,000/s backend answering 503 beyond it, target 99%@5m: its wall
 *    time and its top policy.
 * 2. That top policy run for real on the local fleet against the reference
 *    backend, with the same backend budget per device (5,000/s for 1M devices
 *    is 25/s for 5,000): the measured share back by the target time, t50/t99/
 *    t100 and the recovery peak beside what the planner predicted for the same
 *    fleet. The prediction is made before the run and is not fed anything the
 *    run measured.
 *
 * Both go through the `aftershock` command a user runs. The run is bounded by
 * the scenario's deadline.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatDuration, parseDuration } from '../../scenarios/duration.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000000' },
    'accept-rate': { type: 'string', default: '5000' },
    'run-devices': { type: 'string', default: '5000' },
    // 5, not 10: at 10 the reference backend's limiter (25/s scenario = 250/s real) sees its upgrades in
    // event-loop batches and admits 8% fewer than the planner's rule (20.5/s against 22.2/s for attempts at
    // 200/s), and t99 came 30 s late; at 5 the plan held within 1.3% of the fleet.
    'time-scale': { type: 'string', default: '5' },
    target: { type: 'string', default: '99%@5m' },
  },
});

function fail(message: string): never {
  console.error(`bench:optimize: ${message}`);
  process.exit(2);
}
const whole = (name: string, text: string): number => {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number above 0; got "${text}"`);
  return n;
};
const devices = whole('devices', values.devices);
const acceptRate = whole('accept-rate', values['accept-rate']);
const runDevices = whole('run-devices', values['run-devices']);
const timeScale = whole('time-scale', values['time-scale']);
const match = /^(\d+(?:\.\d+)?)%@(\S+)$/.exec(values.target) ?? fail(`--target must look like 99%@5m; got "${values.target}"`);
const percentile = Number(match[1]);
const withinMs = parseDuration(match[2]) ?? fail(`--target's time must be a duration such as 5m; got "${match[2]}"`);

const cli = fileURLToPath(new URL('../../scenarios/cli/aftershock.mjs', import.meta.url));
const count = (n: number): string => Math.round(n).toLocaleString('en');
const orNever = (ms: number | null): string => (ms === null ? 'never' : formatDuration(ms));

function aftershock(args: string[]): { stdout: string; status: number | null; wallMs: number } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  return { stdout: r.stdout, status: r.status, wallMs: performance.now() - started };
}

interface OptimizedPolicy {
  texts: { first: string; then: string; jitter: string };
  targetMs: number | null;
  recovery: { t50: number | null; t99: number | null; t100: number | null };
  recoveryPeakPerSecond: number;
}

// 1. The advisor at full size.
// --queue 0: the reference backend's limiter answers 503 at once (simulators/backend/accept-rate-limit.ts).
const common = ['--outage', '24m', '--fault', 'hard-kill', '--overload', '503', '--queue', '0', '--target', values.target, '--json'];
const optimize = aftershock(['plan', '--optimize', '--devices', String(devices), '--accept-rate', `${acceptRate}/s`, ...common]);
if (optimize.status !== 0) fail(`plan --optimize exited ${optimize.status}: no policy met ${values.target}`);
const advised = JSON.parse(optimize.stdout) as { screenMs: number; verifyMs: number; policies: OptimizedPolicy[] };
const top = advised.policies[0];
console.log(`plan --optimize, ${count(devices)} devices, 24m hard kill, ${count(acceptRate)}/s (503 at once beyond it, no queue), target ${values.target}`);
console.log(`  wall ${formatDuration(optimize.wallMs)} (screen ${formatDuration(advised.screenMs)}, full size ${formatDuration(advised.verifyMs)})`);
console.log(`  top: first ${top.texts.first}, then ${top.texts.then}, jitter ${top.texts.jitter}`);
console.log(`  predicted: ${percentile}% back ${orNever(top.targetMs)}, t50 ${orNever(top.recovery.t50)}, t100 ${orNever(top.recovery.t100)}, recovery peak ${count(top.recoveryPeakPerSecond)}/s`);

// 2. The same policy for real, at the same backend budget per device.
const runRate = (acceptRate * runDevices) / devices;
const dir = mkdtempSync(join(tmpdir(), 'aftershock-bench-optimize-'));
const scenarioFile = join(dir, 'optimized.json');
writeFileSync(
  scenarioFile,
  JSON.stringify({
    name: 'optimized-hard-kill',
    seed: 'bench-optimize',
    timeScale,
    fleet: { devices: runDevices, rampUp: '30s' },
    policy: top.texts,
    target: { kind: 'reference', acceptRate: `${runRate}/s` },
    chaos: [{ kind: 'kill', at: '30s', for: '24m' }],
    thresholds: { 'devices.never_returned': ['==0'] },
    deadline: '45m',
  }),
);

const prediction = aftershock(['plan', scenarioFile, '--json']);
if (prediction.status !== 0) fail(`plan of the scenario exited ${prediction.status}`);
const predicted = (JSON.parse(prediction.stdout) as { policies: { result: { recovery: Record<string, number | null>; attempts: { peakPerSecond: number } } }[] }).policies[0].result;

const runDir = join(dir, 'run');
const run = aftershock(['run', scenarioFile, '--out', runDir, '--quiet']);
const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as {
  devices: number;
  recovery: { t50: number | null; t99: number | null; t100: number | null };
  phases: { recovery: { peakPerSecond: number } | null };
  attempts: { peak_per_s?: number };
  plan?: { maxDeviationPct: number | null };
};
console.log(`\nreal run: ${count(runDevices)} devices on the reference backend at ${runRate}/s (503 beyond), time scale ${timeScale}, exit ${run.status}, wall ${formatDuration(run.wallMs)}`);
console.log(`  ${''.padEnd(22)}${'planned'.padStart(10)}${'measured'.padStart(10)}`);
const row = (label: string, a: string, b: string): void => console.log(`  ${label.padEnd(22)}${a.padStart(10)}${b.padStart(10)}`);
row('t50', orNever(predicted.recovery.t50), orNever(summary.recovery.t50));
row('t99', orNever(predicted.recovery.t99), orNever(summary.recovery.t99));
row('t100', orNever(predicted.recovery.t100), orNever(summary.recovery.t100));
row('recovery peak /s', count(predicted.attempts.peakPerSecond), count(summary.phases.recovery?.peakPerSecond ?? 0));
console.log(`  plain plan vs measured: within ${summary.plan?.maxDeviationPct ?? '?'}% of the fleet at every second from the fault on`);
// The summary keeps t50, t90, t99 and t100: the target's share is read from the nearest one at or above it.
const kept = ([50, 90, 99, 100] as const).find((p) => p >= percentile) ?? 100;
const measured = summary.recovery[`t${kept}` as keyof typeof summary.recovery] ?? null;
const met = measured !== null && measured <= withinMs;
console.log(`  target ${values.target}: measured t${kept} ${orNever(measured)}: ${met ? 'met' : 'NOT met'}`);
console.log(`  run folder: ${runDir}`);
