import { builtInScenarios } from '../library/index.ts';
import { exitCodes } from '../errors.ts';

export async function listCommand(): Promise<number> {
  const names = Object.keys(builtInScenarios);
  const width = Math.max(...names.map((n) => n.length));
  for (const [name, scenario] of Object.entries(builtInScenarios)) {
    console.log(`  ${name.padEnd(width)}  ${scenario.description ?? ''}`);
  }
  return exitCodes.passed;
}
