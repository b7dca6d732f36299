import type { Scenario } from '../scenario-schema.ts';
import { containerTarget } from './container-target.ts';
import { externalTarget } from './external-target.ts';
import { processTarget } from './process-target.ts';
import { referenceTarget } from './reference-target.ts';
import type { Target } from './target.ts';

export type { Target, StartedTarget, TargetEndpoints } from './target.ts';

type TargetFactories = { [K in Scenario['target']['kind']]: (config: Extract<Scenario['target'], { kind: K }>) => Target };

/** The target registry: one entry per kind. */
export const targets: TargetFactories = {
  reference: referenceTarget,
  container: containerTarget,
  process: processTarget,
  external: externalTarget,
} as const;

export function createTarget(config: Scenario['target']): Target {
  const factory = targets[config.kind] as (c: Scenario['target']) => Target;
  return factory(config);
}
