import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AftershockError } from './errors.ts';
import { builtInScenarios } from './library/index.ts';
import type { ScenarioInput } from './scenario-schema.ts';

/** Command-line values that replace the scenario's own. */
export interface ScenarioOverrides {
  devices?: number;
  timeScale?: number;
  seed?: string | number;
}

/**
 * Finds a scenario by built-in name or file path (.ts/.mts/.js/.mjs module
 * with a default export, or .json) and returns its raw input with the
 * overrides applied. Validation is the caller's next step.
 */
export async function loadScenarioInput(reference: string): Promise<{ input: unknown; source: string }> {
  const builtIn = builtInScenarios[reference];
  if (builtIn) return { input: structuredClone(builtIn), source: `built-in "${reference}"` };

  const looksLikeFile = /[./\\]/.test(reference);
  if (!looksLikeFile || !existsSync(reference)) {
    const names = Object.keys(builtInScenarios).join(', ');
    throw new AftershockError(
      'unknown-scenario',
      looksLikeFile
        ? `scenario file ${reference} does not exist; check the path, or use a built-in scenario (${names})`
        : `unknown scenario "${reference}"; built-in scenarios: ${names} (or give a path to a scenario file; see \`aftershock list\`)`,
    );
  }
  const path = resolve(reference);
  const ext = extname(path);
  if (ext === '.json') {
    try {
      return { input: JSON.parse(await readFile(path, 'utf8')), source: path };
    } catch (error) {
      throw new AftershockError('invalid-scenario', `scenario file ${path} is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (!['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    throw new AftershockError('invalid-scenario', `scenario file ${path} has extension "${ext}"; use .ts, .mts, .js, .mjs or .json`);
  }
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new AftershockError('invalid-scenario', `scenario file ${path} could not be loaded: ${(error as Error).message}`);
  }
  if (module.default === undefined) {
    throw new AftershockError('invalid-scenario', `scenario file ${path} has no default export; export the scenario with \`export default defineScenario({...})\``);
  }
  return { input: structuredClone(module.default), source: path };
}

/** Applies command-line overrides to a raw scenario object. */
export function applyOverrides(input: unknown, overrides: ScenarioOverrides): unknown {
  if (typeof input !== 'object' || input === null) return input;
  const scenario = { ...(input as Record<string, unknown>) } as Partial<ScenarioInput> & Record<string, unknown>;
  if (overrides.devices !== undefined) {
    const fleet = typeof scenario.fleet === 'object' && scenario.fleet !== null ? scenario.fleet : {};
    scenario.fleet = { ...fleet, devices: overrides.devices } as ScenarioInput['fleet'];
  }
  if (overrides.timeScale !== undefined) scenario.timeScale = overrides.timeScale;
  if (overrides.seed !== undefined) scenario.seed = overrides.seed;
  return scenario;
}
