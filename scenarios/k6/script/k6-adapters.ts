import { plainAdapter } from '../../../simulators/devices/adapters/plain-adapter.ts';
import type { ProtocolAdapter } from '../../../simulators/devices/protocol-adapter.ts';
import type { ProtocolConfig } from '../../../simulators/devices/protocol-config.ts';
import { referenceAdapter } from '../../../simulators/devices/reference-adapter.ts';

/**
 * The protocol adapters a k6 script can speak: the local fleet's adapters
 * that are pure JavaScript over text frames. Listed one by one instead of
 * taking the fleet's whole registry (simulators/devices/adapters), whose
 * other adapters may need Node (streams, binary codecs) that k6 lacks.
 */
export const k6Adapters = {
  reference: () => referenceAdapter,
  plain: (config: Extract<ProtocolConfig, { kind: 'plain' }>) => plainAdapter(config),
} as const;

export type K6ProtocolKind = keyof typeof k6Adapters;
export const k6ProtocolKinds = Object.keys(k6Adapters) as K6ProtocolKind[];

export function isK6Protocol(config: ProtocolConfig): config is Extract<ProtocolConfig, { kind: K6ProtocolKind }> {
  return (k6ProtocolKinds as string[]).includes(config.kind);
}

/** The adapter of a protocol the script speaks; anything else is refused at export time. */
export function createK6Adapter(config: Extract<ProtocolConfig, { kind: K6ProtocolKind }>): ProtocolAdapter {
  return config.kind === 'plain' ? k6Adapters.plain(config) : k6Adapters.reference();
}
