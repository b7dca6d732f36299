import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FleetEvent } from './fleet-events.ts';
import { deviceStateNames } from './fleet.ts';
import type { ShardConfig, ShardToParent } from './shard-protocol.ts';
import { quietestAddressBlock } from './source-addresses.ts';
import { ownNodeArgs } from '../../scenarios/runtime/own-node.ts';

const shardMain = fileURLToPath(new URL('./fleet-shard-main.ts', import.meta.url));

/**
 * A shard's Node flags. No inherited execArgv: a test runner's loader flags
 * do not belong in a shard. V8's young generation grows to 16 MB semi-spaces
 * (three of them) under a shard's allocation rate, which is 3 KB per device
 * at 16,000 devices; 2 MB semi-spaces cut the fleet from 12.1 to 9.4 KB per
 * device at 30,000 devices for about 9% more CPU per connect (bench:fleet).
 */
const shardExecArgv = ['--max-semi-space-size=2'];

/** Devices per shard process: well under the 20,000 open files one process may hold. */
export const defaultDevicesPerShard = 16_000;

export interface ShardedFleetOptions extends Omit<ShardConfig, 'shard' | 'firstDevice' | 'devices'> {
  devices: number;
  devicesPerShard?: number;
  /** Each shard's events, in its time order, with its watermark (scenario ms). */
  onEvents: (shard: number, events: FleetEvent[], watermark: number) => void;
  /** A shard that died or failed: the run cannot account for its devices. */
  onShardFailure: (shard: number, message: string) => void;
}

interface Shard {
  index: number;
  firstDevice: number;
  devices: number;
  child: ChildProcess;
  counts: number[];
  attempts: number;
  stopped: boolean;
}

/**
 * The fleet spread over shard processes, each under the per-process file
 * limit with headroom, all on one seed and one clock origin. Counts are the
 * sum of the shards' latest reports; events arrive per shard in time order.
 */
export class ShardedFleet {
  private readonly shards: Shard[];
  private readonly options: ShardedFleetOptions;

  private constructor(options: ShardedFleetOptions, shards: Shard[]) {
    this.options = options;
    this.shards = shards;
  }

  /** Number of shards a fleet of `devices` needs. */
  static shardCount(devices: number, devicesPerShard = defaultDevicesPerShard): number {
    return Math.max(1, Math.ceil(devices / devicesPerShard));
  }

  /** Starts every shard process and waits until all have booted their devices' timers. */
  static async start(options: ShardedFleetOptions): Promise<ShardedFleet> {
    const perShard = options.devicesPerShard ?? defaultDevicesPerShard;
    const count = ShardedFleet.shardCount(options.devices, perShard);
    const base = Math.floor(options.devices / count);
    const shards: Shard[] = [];
    let first = 0;
    for (let index = 0; index < count; index++) {
      const devices = base + (index < options.devices % count ? 1 : 0);
      const child = fork(shardMain, [], { execArgv: ownNodeArgs(...shardExecArgv), serialization: 'json', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const counts = new Array<number>(deviceStateNames.length).fill(0);
      counts[0] = devices; // every device starts idle
      shards.push({ index, firstDevice: first, devices, child, counts, attempts: 0, stopped: false });
      first += devices;
    }
    // One block of source addresses for the whole fleet, chosen once.
    const fleet = new ShardedFleet({ ...options, sourceAddressBlock: options.sourceAddressBlock ?? quietestAddressBlock() }, shards);
    await Promise.all(shards.map((shard) => fleet.boot(shard)));
    return fleet;
  }

  private async boot(shard: Shard): Promise<void> {
    const { child } = shard;
    const [ready] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [undefined])])) as [ShardToParent | undefined];
    if (ready?.type !== 'ready') throw new Error(`fleet shard ${shard.index} did not start (exit code ${child.exitCode})`);
    child.on('message', (message: ShardToParent) => this.onMessage(shard, message));
    child.on('exit', (code, signal) => {
      if (!shard.stopped) this.options.onShardFailure(shard.index, `fleet shard ${shard.index} (pid ${child.pid}) exited during the run (code ${code}, signal ${signal})`);
    });
    const { onEvents: _e, onShardFailure: _f, devicesPerShard: _d, devices: _n, ...shared } = this.options;
    const config: ShardConfig = { ...shared, shard: shard.index, firstDevice: shard.firstDevice, devices: shard.devices };
    child.send({ type: 'start', config });
  }

  private onMessage(shard: Shard, message: ShardToParent): void {
    if (message.type === 'batch') {
      shard.counts = message.counts;
      shard.attempts = message.attempts;
      const events = message.lines === '' ? [] : message.lines.split('\n').map((line) => JSON.parse(line) as FleetEvent);
      this.options.onEvents(shard.index, events, message.watermark);
    } else if (message.type === 'error') {
      this.options.onShardFailure(shard.index, `fleet shard ${shard.index}: ${message.message}`);
    }
  }

  get shardCount(): number {
    return this.shards.length;
  }

  /** PIDs of the shard processes (for memory measurements). */
  get pids(): number[] {
    return this.shards.map((shard) => shard.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Devices per state, summed over the shards' latest reports. */
  counts(): Record<(typeof deviceStateNames)[number], number> {
    const result = {} as Record<(typeof deviceStateNames)[number], number>;
    deviceStateNames.forEach((name, i) => (result[name] = this.shards.reduce((sum, shard) => sum + (shard.counts[i] ?? 0), 0)));
    return result;
  }

  /** Each shard's latest report: which devices it owns and how many are in each state (deviceStateNames order). */
  shardCounts(): { shard: number; firstDevice: number; devices: number; counts: number[] }[] {
    return this.shards.map((shard) => ({ shard: shard.index, firstDevice: shard.firstDevice, devices: shard.devices, counts: [...shard.counts] }));
  }

  /** Connection attempts made so far, over all shards. */
  get attempts(): number {
    return this.shards.reduce((sum, shard) => sum + shard.attempts, 0);
  }

  /** Stops every shard: their last events are delivered before this resolves. */
  async stop(timeoutMs = 10_000): Promise<void> {
    await Promise.all(
      this.shards.map(async (shard) => {
        if (shard.stopped || shard.child.exitCode !== null) return;
        shard.stopped = true;
        const exited = once(shard.child, 'exit');
        shard.child.send({ type: 'stop' });
        const timer = setTimeout(() => shard.child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Kills every shard at once, synchronously: for process 'exit' handlers. */
  killNow(): void {
    for (const shard of this.shards) if (shard.child.exitCode === null) shard.child.kill('SIGKILL');
  }
}
