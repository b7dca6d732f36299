import type { PolicyParams } from './policy/index.ts';
import type { ProtocolConfig } from './protocol-config.ts';

/** Everything a shard process needs to run its slice of the fleet. Plain data: it crosses IPC. */
export interface ShardConfig {
  shard: number;
  /** Index of the shard's first device in the whole fleet. */
  firstDevice: number;
  devices: number;
  baseUrl: string;
  policy: PolicyParams;
  /** The devices' protocol adapter, by name (functions cannot cross IPC); default: the reference protocol. */
  protocol?: ProtocolConfig;
  seed: string | number;
  timeScale: number;
  rampUpMs: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  heartbeatTimeoutMs: number;
  /** Scenario time 0 as epoch ms (performance.timeOrigin + performance.now()), shared by every process. */
  originEpochMs: number;
  /** Devices per loopback source address; 0: let the OS choose the source. */
  devicesPerSourceAddress: number;
  /** B of the 127.B.x.y source addresses (see source-addresses.ts); the same for every shard of a fleet. Default: the quietest block. */
  sourceAddressBlock?: number;
  /** How often the shard ships its events and counts, real ms. */
  batchEveryMs: number;
  /** The content origin devices fetch what they show from; absent or null: they fetch nothing. */
  originUrl?: string | null;
}

export type ParentToShard = { type: 'start'; config: ShardConfig } | { type: 'stop' };

/**
 * From a shard: `lines` is NDJSON of its fleet events, in time order;
 * `watermark` is the shard's scenario time when it sent them (it emits
 * nothing earlier afterwards); `counts` is devices per state
 * (idle, waiting, connecting, handshaking, online, stopped).
 */
export type ShardToParent =
  | { type: 'ready' }
  | { type: 'batch'; lines: string; watermark: number; counts: number[]; attempts: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };
