import type { ScenarioInput } from './scenario-schema.ts';

/**
 * Declares a scenario. It only gives the object its type (so an editor checks
 * it as it is written); validation and normalisation happen when the scenario
 * is loaded, by `validateScenario`.
 */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}
