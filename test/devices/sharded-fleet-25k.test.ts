// 25,000 devices over two shard processes against the reference backend
// (supervisor + two workers): at every sample the merged counts are the sum
// of the shards' own reports, every shard's states add up to its devices,
// and the state rebuilt from each shard's events agrees with its counts, so
// no device is counted twice or lost track of, through boot, a hard kill of
// the backend and the reconnect.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, test } from 'vitest';
import { referenceTarget } from '../../scenarios/targets/reference-target.ts';
import type { StartedTarget } from '../../scenarios/targets/target.ts';
import type { FleetEvent } from '../../simulators/devices/fleet-events.ts';
import { deviceStateNames } from '../../simulators/devices/fleet.ts';
import { seedPolicyDefaults } from '../../simulators/devices/policy/index.ts';
import { ShardedFleet } from '../../simulators/devices/sharded-fleet.ts';

const devices = 25_000;
const timeScale = 60;
const state = Object.fromEntries(deviceStateNames.map((name, i) => [name, i])) as Record<(typeof deviceStateNames)[number], number>;

let runDir: string | undefined;
let target: StartedTarget | undefined;
let fleet: ShardedFleet | undefined;

afterEach(async () => {
  await fleet?.stop();
  await target?.stop();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  fleet = target = runDir = undefined;
});

/** What a shard's events say about each of its devices: online, attempting, or neither (waiting). */
type Seen = 'online' | 'attempting' | 'waiting';

test('25,000 devices over two shards: merged counts are the sum of the shards, no device counted twice', { timeout: 240_000 }, async () => {
  runDir = mkdtempSync(join(tmpdir(), 'aftershock-25k-'));
  // Pings as a run would stretch them for this fleet (see machine-timing.ts): a few thousand per second.
  const heartbeatInterval = 30 * 60_000;
  target = await referenceTarget({ kind: 'reference', heartbeatInterval }).start({ runDir, timeScale, expectedConnections: devices });

  const seen = new Map<number, Seen>();
  const ownerOf = new Map<number, number>();
  const onlineEvents = new Map<number, number>();
  const problems: string[] = [];
  // 12,500 closes at once per shard must still reach the runner in bounded batches.
  let largestBatch = 0;
  let failedShard: string | undefined;
  fleet = await ShardedFleet.start({
    devices,
    devicesPerShard: 12_500,
    baseUrl: target.endpoints.wsBaseUrl,
    policy: seedPolicyDefaults,
    seed: '25k',
    timeScale,
    rampUpMs: 30_000,
    // Long enough for a loaded 2-core machine: this counts devices, not timeouts.
    connectTimeoutMs: 60_000 * timeScale,
    handshakeTimeoutMs: 60_000 * timeScale,
    heartbeatTimeoutMs: 2.5 * heartbeatInterval,
    originEpochMs: performance.timeOrigin + performance.now(),
    devicesPerSourceAddress: 250,
    batchEveryMs: 50,
    onEvents: (shard: number, events: FleetEvent[]) => {
      largestBatch = Math.max(largestBatch, events.length);
      for (const event of events) {
        // A device belongs to one shard: events for it come from no other.
        const owner = ownerOf.get(event.device);
        if (owner === undefined) ownerOf.set(event.device, shard);
        else if (owner !== shard && problems.length < 5) problems.push(`device ${event.device} reported by shards ${owner} and ${shard}`);
        if (event.type === 'attempt') seen.set(event.device, 'attempting');
        else if (event.type === 'online') {
          if (seen.get(event.device) === 'online' && problems.length < 5) problems.push(`device ${event.device} online twice without losing its connection`);
          seen.set(event.device, 'online');
          onlineEvents.set(event.device, (onlineEvents.get(event.device) ?? 0) + 1);
        } else if (event.type === 'failure' || event.type === 'lost' || event.type === 'wait') seen.set(event.device, 'waiting');
      }
    },
    onShardFailure: (_shard: number, message: string) => (failedShard = message),
  });
  expect(fleet.shardCount).toBe(2);

  let samples = 0;
  /** One sample: what the shards report against what their events say. */
  const check = (): void => {
    samples++;
    const shards = fleet!.shardCounts();
    const merged = fleet!.counts();
    deviceStateNames.forEach((name, i) => {
      const sum = shards.reduce((total, shard) => total + shard.counts[i], 0);
      if (merged[name] !== sum && problems.length < 5) problems.push(`sample ${samples}: merged ${name} ${merged[name]}, shards sum to ${sum}`);
    });
    for (const shard of shards) {
      const total = shard.counts.reduce((a, b) => a + b, 0);
      if (total !== shard.devices && problems.length < 5) problems.push(`sample ${samples}: shard ${shard.shard} accounts for ${total} of its ${shard.devices} devices`);
      // Rebuilt from the events this shard delivered with the same report.
      const rebuilt = { online: 0, attempting: 0 };
      for (let d = shard.firstDevice; d < shard.firstDevice + shard.devices; d++) {
        const s = seen.get(d);
        if (s === 'online') rebuilt.online++;
        else if (s === 'attempting') rebuilt.attempting++;
      }
      const reportedAttempting = shard.counts[state.connecting] + shard.counts[state.handshaking];
      if ((rebuilt.online !== shard.counts[state.online] || rebuilt.attempting !== reportedAttempting) && problems.length < 5) {
        problems.push(`sample ${samples}: shard ${shard.shard} reports ${shard.counts[state.online]} online and ${reportedAttempting} attempting, its events say ${rebuilt.online} and ${rebuilt.attempting}`);
      }
    }
  };
  const sampleUntil = async (what: string, done: () => boolean, limitMs: number): Promise<void> => {
    const started = performance.now();
    for (;;) {
      check();
      if (done() || failedShard) return;
      if (performance.now() - started > limitMs) throw new Error(`${what} not reached within ${limitMs} ms: ${JSON.stringify(fleet!.counts())}`);
      await sleep(100);
    }
  };

  await sampleUntil('all 25,000 online', () => fleet!.counts().online === devices, 150_000);
  expect(failedShard).toBeUndefined();
  expect(problems).toEqual([]);
  // Every device came online once, each owned by exactly one of the two shards.
  expect(onlineEvents.size).toBe(devices);
  expect([...onlineEvents.values()].every((n) => n === 1)).toBe(true);
  expect(new Set(ownerOf.values())).toEqual(new Set([0, 1]));
  expect([...ownerOf].every(([device, shard]) => shard === (device < 12_500 ? 0 : 1))).toBe(true);

  // A hard kill: every device loses its connection once and comes back once.
  await target.process!.kill();
  await sampleUntil('every device noticed the kill', () => fleet!.counts().online === 0, 60_000);
  await target.process!.start();
  await sampleUntil('all 25,000 back', () => fleet!.counts().online === devices, 150_000);
  expect(failedShard).toBeUndefined();
  expect(problems).toEqual([]);
  expect([...onlineEvents.values()].every((n) => n === 2)).toBe(true);
  // About 2,000 a batch: it goes once the callback that crossed 2,000 is done.
  expect(largestBatch).toBeLessThanOrEqual(4000);
  expect(samples).toBeGreaterThan(20);
});
