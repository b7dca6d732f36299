import type { ScenarioInput } from '../scenario-schema.ts';
import hardKill from './hard-kill.ts';

/** The built-in scenarios, by name. */
export const builtInScenarios: Readonly<Record<string, ScenarioInput>> = {
  'hard-kill': hardKill,
};
