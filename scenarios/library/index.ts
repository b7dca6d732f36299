import type { ScenarioInput } from '../scenario-schema.ts';
import flapping from './flapping.ts';
import hardKill from './hard-kill.ts';
import killUnderWrites from './kill-under-writes.ts';
import networkPartition from './network-partition.ts';
import nov4CpuLockup from './nov4-cpu-lockup.ts';
import oct7MemoryExhaustion from './oct7-memory-exhaustion.ts';
import slowNetwork from './slow-network.ts';

/** The built-in scenarios, by name. */
export const builtInScenarios: Readonly<Record<string, ScenarioInput>> = {
  'hard-kill': hardKill,
  'nov4-cpu-lockup': nov4CpuLockup,
  'oct7-memory-exhaustion': oct7MemoryExhaustion,
  'network-partition': networkPartition,
  flapping,
  'slow-network': slowNetwork,
  'kill-under-writes': killUnderWrites,
};
