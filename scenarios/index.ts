/** The public API of aftershock for scenario files. */
export { defineScenario } from './define-scenario.ts';
export type { ScenarioInput, Scenario } from './scenario-schema.ts';
