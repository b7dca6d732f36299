import { AftershockError, exitCodes } from '../errors.ts';
import { chaosCommand } from './chaos-command.ts';
import { compareCommand } from './compare-command.ts';
import { exportCommand } from './export-command.ts';
import { gateCommand } from './gate-command.ts';
import { imageCommand } from './image-command.ts';
import { listCommand } from './list-command.ts';
import { planCommand } from './plan-command.ts';
import { reportCommand } from './report-command.ts';
import { runCommand, runUsage } from './run-command.ts';
import { toxiproxyCommand } from './toxiproxy-command.ts';

const usage = `aftershock: load and chaos tests for WebSocket reconnect storms

usage: aftershock <command> [options]

commands:
  run [SCENARIO]   play a scenario against a target and write a run folder
  plan [SCENARIO]  model an outage for millions of devices and compare policies
  report RUN_DIR   rebuild a run's reports from its events (also a crashed run)
  gate --baseline BASELINE RUN_DIR [--tolerance 10%]
                   exit 1 when recovery got worse than the baseline's
  compare RUN_A RUN_B
                   one HTML page with both runs on the same axes
  compare --target-a T --target-b T [SCENARIO]
                   run one scenario against two targets (two sizes) and compare
  image build      build the reference backend's container image (no registry)
  export k6 SCENARIO --out DIR
                   write the scenario as a k6 script and k6 operator manifests
  chaos play SCENARIO
                   play only the chaos timeline (an external k6 run drives the load)
  list             list the built-in scenarios
  toxiproxy        run the embedded Toxiproxy-compatible server (stands in for toxiproxy-server)
  help             show this help (\`aftershock <command> --help\` for a command)

${runUsage}`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCommand,
  plan: planCommand,
  report: reportCommand,
  gate: gateCommand,
  compare: compareCommand,
  image: imageCommand,
  list: listCommand,
  export: exportCommand,
  chaos: chaosCommand,
  toxiproxy: toxiproxyCommand,
};

/** Runs the CLI and returns its exit code; errors a user can act on become one line. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(usage);
    return exitCodes.passed;
  }
  const handler = commands[command];
  try {
    if (!handler) {
      throw new AftershockError('unknown-command', `unknown command "${command}"; commands: ${Object.keys(commands).join(', ')} (see \`aftershock --help\`)`);
    }
    return await handler(rest);
  } catch (error) {
    if (error instanceof AftershockError) {
      console.error(`aftershock: error: ${error.message}`);
      return error.exitCode;
    }
    // parseArgs reports unknown or malformed flags as TypeErrors with a code.
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      console.error(`aftershock: error: ${(error as Error).message}; see \`aftershock ${command} --help\``);
      return exitCodes.badInput;
    }
    throw error;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
