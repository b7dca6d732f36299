/**
 * How fast the storm planner is: devices simulated per second of wall clock,
 * peak memory, and the figures of the modelled outage.
 *
 *   npm run bench:plan                     1M and 10M devices, 24 min hard kill, seed policy
 *   npm run bench:plan -- --devices 1000000 --accept-rate 2000/s --policy full
 *
 * Each fleet size runs in a child process of its own, so the peak RSS is that
 * size's alone. One core: the model is single-threaded. Both wall-clock and
 * CPU time are shown: on a machine shared with other work the CPU time is
 * what the model itself cost.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatDuration, parseDuration } from '../../scenarios/duration.ts';
import { isPolicyKind, policyDefaults } from '../devices/policy/index.ts';
import { formatRate, parseRate, unlimitedCapacity } from './capacity-model.ts';
import { isFaultKind } from './fault-model.ts';
import { runStormModel } from './storm-model.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000000,10000000' },
    outage: { type: 'string', default: '24m' },
    fault: { type: 'string', default: 'hard-kill' },
    policy: { type: 'string', default: 'seed' },
    'accept-rate': { type: 'string', default: 'unlimited' },
    child: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`bench:plan: ${message}`);
  process.exit(2);
}

const sizes = values.devices.split(',').map((d) => Number(d.replace(/_/g, '')));
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) fail(`--devices must be whole numbers above 0, comma-separated; got "${values.devices}"`);
const outageMs = parseDuration(values.outage) ?? fail(`--outage must be a duration such as 24m; got "${values.outage}"`);
const rate = parseRate(values['accept-rate']) ?? fail(`--accept-rate must be such as 2000/s or unlimited; got "${values['accept-rate']}"`);
if (!isPolicyKind(values.policy)) fail(`unknown --policy "${values.policy}"`);
if (!isFaultKind(values.fault)) fail(`unknown --fault "${values.fault}"`);

if (values.child) {
  const devices = sizes[0];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = runStormModel({
    devices,
    seed: 'bench',
    policy: policyDefaults[values.policy],
    timeouts: { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 },
    fault: { kind: values.fault, atMs: 0, outageMs },
    capacity: { ...unlimitedCapacity, acceptPerSecond: rate, serviceTimeMs: 50 },
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // maxRSS is in KiB.
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ devices, seconds, cpuSeconds, peakRssMiB, events: result.events, recovery: result.recovery, peak: result.attempts.peakPerSecond, peakInFlight: result.peakInFlight, attempts: result.attempts.total }));
} else {
  console.log(
    `bench:plan: ${values.fault}, outage ${formatDuration(outageMs)}, policy ${values.policy}, accept ${formatRate(rate)}, one core, node ${process.versions.node}`,
  );
  const script = fileURLToPath(import.meta.url);
  for (const devices of sizes) {
    const args = [script, '--child', '--devices', String(devices), '--outage', values.outage, '--fault', values.fault, '--policy', values.policy, '--accept-rate', values['accept-rate']];
    const child = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) fail(`the ${devices}-device run failed (exit ${child.status})`);
    const r = JSON.parse(child.stdout) as { devices: number; seconds: number; cpuSeconds: number; peakRssMiB: number; events: number; peak: number; peakInFlight: number; attempts: number; recovery: Record<string, number | null> };
    const back = (key: string) => (r.recovery[key] === null ? 'never' : formatDuration(r.recovery[key]!));
    console.log(
      `  ${r.devices.toLocaleString('en').padStart(11)} devices  ${r.seconds.toFixed(2).padStart(6)} s wall (${r.cpuSeconds.toFixed(2)} s CPU)  ` +
        `${Math.round(r.devices / r.seconds).toLocaleString('en').padStart(10)} devices/s (${Math.round(r.devices / r.cpuSeconds).toLocaleString('en')} per CPU second)  ` +
        `${Math.round(r.events / r.seconds).toLocaleString('en')} events/s  peak RSS ${Math.round(r.peakRssMiB)} MiB`,
    );
    console.log(
      `  ${''.padStart(11)}          back t50 ${back('t50')}, t99 ${back('t99')}, t99.9 ${back('t999')}, t100 ${back('t100')}; ` +
        `peak ${r.peak.toLocaleString('en')} attempts/s, ${r.peakInFlight.toLocaleString('en')} in flight; ${r.attempts.toLocaleString('en')} attempts`,
    );
  }
}
