// npm run bench:fleet [-- --devices 100000 --time-scale 60]
//
// Connects N devices to the reference backend (scaled over worker processes),
// holds them, kills and restarts the backend, and prints: connects per second
// (10%-90% of devices, sustained), KB per device (fleet and backend, above
// their empty processes), time until all are online, and time until all are
// back after the restart. In the same run, the same figures for a minimal raw
// ws client loop against the same backend, and the ratios. Figures, not a
// test: nothing here asserts a time.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stretchHeartbeats } from '../../../scenarios/machine-timing.ts';
import { referenceTarget } from '../../../scenarios/targets/reference-target.ts';
import { seedPolicyDefaults } from '../policy/index.ts';
import { ShardedFleet, defaultDevicesPerShard } from '../sharded-fleet.ts';
import { quietestAddressBlock } from '../source-addresses.ts';
import { cpuSeconds, groupCpuSeconds, groupRssBytes, rssBytes } from './process-memory.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '100000' },
    'time-scale': { type: 'string', default: '60' },
    'per-address': { type: 'string', default: '250' },
    'downtime-ms': { type: 'string', default: '2000' },
  },
});
const devices = Number(values.devices);
const timeScale = Number(values['time-scale']);
const perAddress = Number(values['per-address']);
const downtimeRealMs = Number(values['downtime-ms']);
if (!(devices > 0 && timeScale >= 1)) {
  console.error('bench:fleet: --devices must be > 0 and --time-scale >= 1');
  process.exit(2);
}
// Every phase stops by itself: a bounded wait for each.
const phaseLimitMs = 120_000;

const runDir = mkdtempSync(join(tmpdir(), 'aftershock-bench-fleet-'));
const kb = (bytes: number): number => Math.round((bytes / 1024) * 10) / 10;

/** Seconds between 10% and 90% of `times` (sorted, ms), as devices per second. */
function sustainedRate(times: number[]): { ratePerS: number; allAtMs: number; percentiles: string } {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const span = at(0.9) - at(0.1);
  const percentiles = [0.1, 0.5, 0.9, 0.99].map((p) => `t${p * 100} ${(at(p) / 1000).toFixed(1)}s`).join(', ');
  return { ratePerS: span > 0 ? Math.round((0.8 * sorted.length * 1000) / span) : Infinity, allAtMs: Math.round(sorted[sorted.length - 1]), percentiles };
}

/** CPU microseconds per device, from CPU seconds used. */
const microsPer = (cpuSecondsUsed: number): number => Math.round((cpuSecondsUsed * 1e6) / devices);

async function backendMetrics(httpBaseUrl: string): Promise<{ devicesOnline: number }> {
  const response = await fetch(`${httpBaseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as { devicesOnline: number };
}

async function waitUntil(what: string, condition: () => Promise<boolean> | boolean): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > phaseLimitMs) throw new Error(`bench:fleet: ${what} not reached within ${phaseLimitMs} ms`);
    await sleep(50);
  }
  return performance.now() - started;
}

// Pings as a scenario run would send them: every 30 s of scenario time (75 s
// timeout), stretched as a run stretches them for this fleet and scale.
const heartbeats = stretchHeartbeats(devices, timeScale, 30_000, 75_000);
const target = await referenceTarget({ kind: 'reference', heartbeatInterval: heartbeats.intervalMs }).start({ runDir, timeScale, expectedConnections: devices } as never);
let backendPid = target.process!.pid!;
await sleep(500);
const backendEmptyBytes = groupRssBytes(backendPid);
console.log(`bench:fleet: ${devices} devices, time scale ${timeScale}, backend pid ${backendPid} (${kb(backendEmptyBytes) / 1024 | 0} MB empty), run folder ${runDir}`);

// --- Baseline: a minimal raw ws client loop ---------------------------------
const rawMain = fileURLToPath(new URL('./raw-ws-client.ts', import.meta.url));
const rawCount = Math.ceil(devices / defaultDevicesPerShard);
const raw = await Promise.all(
  Array.from({ length: rawCount }, async () => {
    const child = fork(rawMain, [], { execArgv: [], serialization: 'json' });
    await once(child, 'message');
    return child;
  }),
);
await sleep(300);
const rawEmptyBytes = raw.reduce((sum, child) => sum + rssBytes(child.pid!), 0);
const rawCpuBefore = raw.reduce((sum, child) => sum + cpuSeconds(child.pid!), 0);
let backendCpuBefore = groupCpuSeconds(backendPid);
const rawOrigin = performance.timeOrigin + performance.now();
// The baseline's closed sockets sit in TIME_WAIT on its source addresses for
// a minute; the fleet then picks another block (ShardedFleet does) so the
// two measure the same thing.
const rawBlock = quietestAddressBlock();
const rawResults = await Promise.all(
  raw.map((child, k) => {
    const first = Math.floor((k * devices) / rawCount);
    const count = Math.floor(((k + 1) * devices) / rawCount) - first;
    child.send({ type: 'start', url: target.endpoints.wsBaseUrl, firstDevice: first, count, perAddress, block: rawBlock, originEpochMs: rawOrigin, deadlineMs: phaseLimitMs });
    return once(child, 'message').then(([m]) => m as { welcomedAt: number[]; failed: number; unfinished: number; rssBytes: number });
  }),
);
const rawCpu = raw.reduce((sum, child) => sum + cpuSeconds(child.pid!), 0) - rawCpuBefore;
const backendCpuRaw = groupCpuSeconds(backendPid) - backendCpuBefore;
const rawTimes = rawResults.flatMap((r) => r.welcomedAt);
const rawFailed = rawResults.reduce((sum, r) => sum + r.failed + r.unfinished, 0);
const rawRate = sustainedRate(rawTimes);
console.log(`baseline: ${rawTimes.length} online, ${rawRate.ratePerS} connects/s (10%-90%), ${rawRate.percentiles}, all after ${rawRate.allAtMs} ms, ${rawFailed} failed`);
const rawBytes = raw.reduce((sum, child) => sum + rssBytes(child.pid!), 0);
const backendWithRawBytes = groupRssBytes(backendPid);
for (const child of raw) child.send({ type: 'stop' });
await Promise.all(raw.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
await waitUntil('backend empty after the baseline', async () => (await backendMetrics(target.endpoints.httpBaseUrl)).devicesOnline === 0);
// A fresh backend for the fleet: the baseline's garbage and retained heap
// would otherwise count against the fleet's memory and GC time.
await target.process!.kill();
await target.process!.start();
await sleep(500);
backendPid = target.process!.pid!;
const backendEmptyForFleetBytes = groupRssBytes(backendPid);

// --- The fleet ----------------------------------------------------------------
const onlineAt: number[] = [];
let fleetOrigin = performance.timeOrigin + performance.now();
const fleetOptions = {
  baseUrl: target.endpoints.wsBaseUrl,
  policy: seedPolicyDefaults,
  seed: 'bench',
  timeScale,
  rampUpMs: 0,
  // Generous (30 s of real time), as the baseline has none: this measures
  // connects, not the policy's backoff after timeouts on a loaded machine.
  connectTimeoutMs: 30_000 * timeScale,
  handshakeTimeoutMs: 30_000 * timeScale,
  heartbeatTimeoutMs: heartbeats.timeoutMs,
  devicesPerSourceAddress: perAddress,
  batchEveryMs: 100,
  onShardFailure: (_shard: number, message: string) => console.error(`bench:fleet: ${message}`),
};
// An empty shard: what one shard process costs before it holds any device.
const empty = await ShardedFleet.start({ ...fleetOptions, devices: 1, originEpochMs: fleetOrigin, onEvents: () => undefined });
await sleep(500);
const shardEmptyBytes = rssBytes(empty.pids[0]);
await empty.stop();

backendCpuBefore = groupCpuSeconds(backendPid);
fleetOrigin = performance.timeOrigin + performance.now();
const fleet = await ShardedFleet.start({
  ...fleetOptions,
  devices,
  originEpochMs: fleetOrigin,
  onEvents: (_shard, events) => {
    for (const event of events) if (event.type === 'online') onlineAt.push(event.t / timeScale);
  },
});
// Shard processes' own start-up (Node, imports) is not a connect's cost.
const fleetCpuBefore = fleet.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
const allOnlineMs = await waitUntil('all devices online', () => fleet.counts().online === devices).catch(async (error: Error) => {
  console.error(`${error.message}; devices per state: ${JSON.stringify(fleet.counts())}`);
  await fleet.stop();
  await target.stop();
  process.exit(1);
});
const fleetCpu = fleet.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - fleetCpuBefore;
const backendCpuFleet = groupCpuSeconds(backendPid) - backendCpuBefore;
const fleetRate = sustainedRate(onlineAt.slice(0, devices));
console.log(`fleet: ${devices} online, ${fleetRate.ratePerS} connects/s (10%-90%), ${fleetRate.percentiles}, all after ${Math.round(allOnlineMs)} ms`);
await sleep(1000);
const fleetBytes = fleet.pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
const backendWithFleetBytes = groupRssBytes(backendPid);
const fleetFailures = fleet.attempts - devices;

// --- Hard kill and restart ---------------------------------------------------------
await target.process!.kill();
const killedAt = performance.now();
await waitUntil('every device noticed the kill', () => fleet.counts().online === 0);
const noticedMs = performance.now() - killedAt;
await sleep(Math.max(0, downtimeRealMs - noticedMs));
await target.process!.start();
const allBackMs = await waitUntil('all devices back after the restart', () => fleet.counts().online === devices);
const policyFirstWaitRealMs = seedPolicyDefaults.firstWaitMaxMs / timeScale;

await fleet.stop();
await target.stop();

const fleetPerDevice = kb((fleetBytes - shardEmptyBytes * fleet.shardCount) / devices);
const backendPerDevice = kb((backendWithFleetBytes - backendEmptyForFleetBytes) / devices);
const rawPerDevice = kb((rawBytes - rawEmptyBytes) / devices);
const backendPerDeviceRaw = kb((backendWithRawBytes - backendEmptyBytes) / devices);
const rows: [string, string, string, string][] = [
  ['figure', 'fleet', 'raw ws baseline', 'fleet / baseline'],
  ['connects per second (10%-90%)', String(fleetRate.ratePerS), String(rawRate.ratePerS), (fleetRate.ratePerS / rawRate.ratePerS).toFixed(2)],
  ['connects per second (all)', String(Math.round((devices * 1000) / allOnlineMs)), String(Math.round((devices * 1000) / rawRate.allAtMs)), (rawRate.allAtMs / allOnlineMs).toFixed(2)],
  ['all online after (ms)', String(Math.round(allOnlineMs)), String(rawRate.allAtMs), (allOnlineMs / rawRate.allAtMs).toFixed(2)],
  ['client CPU per connect (us)', String(microsPer(fleetCpu)), String(microsPer(rawCpu)), (fleetCpu / rawCpu).toFixed(2)],
  ['backend CPU per connect (us)', String(microsPer(backendCpuFleet)), String(microsPer(backendCpuRaw)), (backendCpuFleet / backendCpuRaw).toFixed(2)],
  ['client KB per device', String(fleetPerDevice), String(rawPerDevice), (fleetPerDevice / rawPerDevice).toFixed(2)],
  ['backend KB per connection', String(backendPerDevice), String(backendPerDeviceRaw), (backendPerDevice / backendPerDeviceRaw).toFixed(2)],
  ['failed attempts', String(fleetFailures), String(rawFailed), ''],
];
console.log(`\n${rows.map((r) => `  ${r[0].padEnd(32)}${r[1].padStart(10)}${r[2].padStart(18)}${r[3].padStart(18)}`).join('\n')}`);
console.log(
  `\n  after a hard kill: every device noticed within ${Math.round(noticedMs)} ms; backend down ${downtimeRealMs} ms;` +
    ` all ${devices} back ${Math.round(allBackMs)} ms after the restart` +
    ` (the policy allows up to its cap; its first wait alone is up to ${Math.round(policyFirstWaitRealMs)} ms at this scale)` +
    `\n  fleet: ${fleet.shardCount} shard processes; empty shard ${kb(shardEmptyBytes) / 1024 | 0} MB; backend empty ${kb(backendEmptyBytes) / 1024 | 0} MB`,
);
