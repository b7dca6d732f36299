import { bandwidthToxic } from './bandwidth-toxic.ts';
import { latencyToxic } from './latency-toxic.ts';
import { limitDataToxic } from './limit-data-toxic.ts';
import { resetPeerToxic } from './reset-peer-toxic.ts';
import { slicerToxic } from './slicer-toxic.ts';
import { slowCloseToxic } from './slow-close-toxic.ts';
import { timeoutToxic } from './timeout-toxic.ts';
import type { ToxicType } from './toxic.ts';

export type { Toxic, ToxicType } from './toxic.ts';
export { noopToxic } from './noop-toxic.ts';

/** The toxic registry: one entry per type name the API accepts. (`down` is not a toxic: it disables the proxy.) */
export const toxicTypes = {
  latency: latencyToxic,
  bandwidth: bandwidthToxic,
  slow_close: slowCloseToxic,
  timeout: timeoutToxic,
  reset_peer: resetPeerToxic,
  slicer: slicerToxic,
  limit_data: limitDataToxic,
} as const satisfies Record<string, ToxicType>;

export type ToxicTypeName = keyof typeof toxicTypes;

export function isToxicTypeName(name: string): name is ToxicTypeName {
  return Object.hasOwn(toxicTypes, name);
}
