import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AftershockError } from '../errors.ts';

/** What node:util parseArgs returns for `T`. */
export type ParsedFlags<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/** A number with a minus sign: "-5", "-0.5", "-.5", "-1e3". */
const negativeNumber = /^-(\d|\.\d)/;

/**
 * parseArgs for a CLI command. Two things differ from node:util's:
 *
 * - A negative number after an option that takes a value is that option's
 *   value: `--devices -5` reads as `--devices=-5`, so the option's own
 *   validation rejects it with its usual message. parseArgs alone calls it
 *   "ambiguous" (it could be a short flag `-5`), which tells the user
 *   nothing; no command has digit short flags, so here it cannot be one.
 * - Its errors are AftershockErrors (bad input, exit 2) of one line that
 *   name the flag and end with where to look (`aftershock <command> --help`).
 *
 * `command` is the name the user typed (`run`, `chaos`), for the messages.
 */
export function parseFlags<T extends ParseArgsConfig>(command: string, config: T): ParsedFlags<T> {
  const args = joinNegativeValues(config.args ?? [], config.options ?? {});
  try {
    // Only `args` changes, which does not change the result's type.
    return parseArgs({ ...config, args }) as ParsedFlags<T>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw error;
    throw new AftershockError('bad-flag', `${describeParseError(error as Error, code, command, config.options ?? {})}; see \`aftershock ${command} --help\``, { cause: error });
  }
}

/** `--opt -5` and `-o -5` become `--opt=-5` when `opt` takes a value; everything after `--` is left alone. */
function joinNegativeValues(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const takesValue = (token: string): string | undefined => {
    if (/^--[^=]+$/.test(token)) {
      const name = token.slice(2);
      return options[name]?.type === 'string' ? name : undefined;
    }
    if (/^-[^-]$/.test(token)) {
      return Object.entries(options).find(([, option]) => option.short === token[1] && option.type === 'string')?.[0];
    }
    return undefined;
  };
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    if (token === '--') {
      out.push(...args.slice(i));
      break;
    }
    const name = takesValue(token);
    const next = args[i + 1];
    if (name !== undefined && next !== undefined && negativeNumber.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(token);
    }
  }
  return out;
}

/** parseArgs' messages run over several lines and talk about positionals; say what matters in one line. */
function describeParseError(error: Error, code: string, command: string, options: NonNullable<ParseArgsConfig['options']>): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  // "--out <value>", or "-o, --out <value>" for an option with a short form.
  const flag = /--[^\s,<]+/.exec(quoted)?.[0] ?? quoted.split(' ')[0];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      // "Unknown option '--x'" as parseArgs says it: scripts and tests match on it.
      return `Unknown option '${flag}'; ${command} takes ${Object.keys(options).map((name) => `--${name}`).join(', ')}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(error.message)) return `${flag} is a switch and takes no value; pass just ${flag}`;
      if (/ambiguous/.test(error.message)) return `${flag} needs a value, and the next argument starts with "-"; for a value that starts with "-", write ${flag}=VALUE`;
      return `${flag} needs a value`;
    default:
      return error.message.replace(/\s+/g, ' ').replace(/\.$/, '');
  }
}
