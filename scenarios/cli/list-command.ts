import { builtInScenarios } from '../library/index.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { parseFlags } from './parse-flags.ts';

const listUsage = `usage: aftershock list

Lists the built-in scenarios, each with its description; give one's name to
\`aftershock run\`, \`plan\` or \`export k6\`.`;

export async function listCommand(argv: string[] = []): Promise<number> {
  const { values, positionals } = parseFlags('list', { args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    console.log(listUsage);
    return exitCodes.passed;
  }
  if (positionals.length > 0) throw new AftershockError('bad-usage', `list takes no arguments, got "${positionals.join(' ')}"; see \`aftershock list --help\``);
  const names = Object.keys(builtInScenarios);
  const width = Math.max(...names.map((n) => n.length));
  for (const [name, scenario] of Object.entries(builtInScenarios)) {
    console.log(`  ${name.padEnd(width)}  ${scenario.description ?? ''}`);
  }
  return exitCodes.passed;
}
