// A shard of the fleet in its own process: its own file-descriptor budget,
// its own event loop. Started by ShardedFleet over IPC; ships its events as
// NDJSON batches with a watermark and its counts; exits when its parent goes.
import { HttpContentFetcher } from './content-fetcher.ts';
import { createAdapter } from './adapters/index.ts';
import { Fleet } from './fleet.ts';
import type { FleetEvent } from './fleet-events.ts';
import { createPolicy } from './policy/index.ts';
import type { ParentToShard, ShardConfig, ShardToParent } from './shard-protocol.ts';
import { sourceAddressFor } from './source-addresses.ts';

const send = (message: ShardToParent): void => {
  process.send?.(message);
};

let fleet: Fleet | undefined;
/** One keep-alive agent for the whole shard's origin fetches. */
let origin: HttpContentFetcher | undefined;
let lines: string[] = [];
const maxEventsPerBatch = 2000;
let flushQueued = false;
let attempts = 0;
let batchTimer: ReturnType<typeof setInterval> | undefined;
let scenarioNow = (): number => 0;

function flush(): void {
  flushQueued = false;
  if (!fleet) return;
  const counts = Object.values(fleet.counts());
  send({ type: 'batch', lines: lines.join('\n'), watermark: scenarioNow(), counts, attempts });
  lines = [];
}

function start(config: ShardConfig): void {
  // Scenario time 0 in this process's monotonic clock.
  const originMs = config.originEpochMs - performance.timeOrigin;
  scenarioNow = () => (performance.now() - originMs) * config.timeScale;
  const localAddressFor =
    config.devicesPerSourceAddress > 0 ? (index: number) => sourceAddressFor(index, config.devicesPerSourceAddress, config.sourceAddressBlock) : undefined;
  fleet = new Fleet({
    devices: config.devices,
    firstDevice: config.firstDevice,
    baseUrl: config.baseUrl,
    policy: createPolicy(config.policy),
    adapter: createAdapter(config.protocol ?? { kind: 'reference' }),
    seed: config.seed,
    timeScale: config.timeScale,
    rampUpMs: config.rampUpMs,
    connectTimeoutMs: config.connectTimeoutMs,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    originMs,
    localAddressFor,
    origin: config.originUrl ? (origin = new HttpContentFetcher(config.originUrl)) : null,
    onEvent: (event: FleetEvent) => {
      if (event.type === 'attempt') attempts++;
      lines.push(JSON.stringify(event));
      // Also by size: when thousands of sockets close at once (a killed
      // backend), their callbacks keep the event loop from reaching the
      // batch timer for seconds; a shard that says nothing that long is
      // passed over by the runner's merger and its events land out of order.
      // Sent once the current callback is done, so the counts that go with
      // the events have finished the transition the last event began.
      if (lines.length >= maxEventsPerBatch && !flushQueued) {
        flushQueued = true;
        process.nextTick(flush);
      }
    },
  });
  batchTimer = setInterval(flush, config.batchEveryMs);
  fleet.start();
}

async function stop(): Promise<void> {
  if (batchTimer) clearInterval(batchTimer);
  await fleet?.stop();
  origin?.close();
  flush();
  send({ type: 'stopped' });
  process.disconnect?.();
}

process.on('message', (message: ParentToShard) => {
  try {
    if (message.type === 'start') start(message.config);
    else if (message.type === 'stop') void stop();
  } catch (error) {
    send({ type: 'error', message: (error as Error).message });
  }
});
// The parent is gone (however it died): a shard must not outlive it.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
