import type { ProtocolConfig } from '../protocol-config.ts';
import type { ProtocolAdapter } from '../protocol-adapter.ts';
import { referenceAdapter } from '../reference-adapter.ts';
import { mqttAdapter } from './mqtt-adapter.ts';
import { plainAdapter } from './plain-adapter.ts';
import { socketIoAdapter } from './socketio-adapter.ts';

type AdapterFactories = { [K in ProtocolConfig['kind']]: (config: Extract<ProtocolConfig, { kind: K }>) => ProtocolAdapter };

/** The protocol adapter registry: one entry per kind (shard processes build adapters by name). */
export const adapters: AdapterFactories = {
  reference: () => referenceAdapter,
  plain: plainAdapter,
  socketio: socketIoAdapter,
  mqtt: mqttAdapter,
} as const;

export const protocolKinds = Object.keys(adapters) as ProtocolConfig['kind'][];

export function createAdapter(config: ProtocolConfig): ProtocolAdapter {
  const factory = adapters[config.kind] as ((c: ProtocolConfig) => ProtocolAdapter) | undefined;
  if (!factory) throw new Error(`unknown protocol kind '${(config as { kind: string }).kind}'; valid kinds: ${protocolKinds.join(', ')}`);
  return factory(config);
}
