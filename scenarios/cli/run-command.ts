import { join, resolve } from 'node:path';
import { formatSummary } from '../../reports/console-summary.ts';
import { formatThresholdTable } from '../../reports/thresholds/threshold-table.ts';
import { thresholdResultsOf, verdictOf } from '../../reports/verdict.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { applyOverrides, loadScenarioInput, type ScenarioOverrides } from '../load-scenario.ts';
import { runScenario } from '../runner.ts';
import { validateScenario } from '../validate-scenario.ts';
import { progressLine } from './progress-line.ts';
import { parseFlags } from './parse-flags.ts';
import { describeShutdown, watchShutdown } from './shutdown-signals.ts';
import { runFolderTime } from './run-folder-time.ts';

export const runUsage = `usage: aftershock run [SCENARIO] [options]

  SCENARIO            a built-in scenario name (see \`aftershock list\`) or a
                      scenario file (.ts, .mjs, .js, .json); default: hard-kill
  --devices N         number of simulated devices
  --time-scale S      run S times faster than real time (60: a minute per second)
  --seed X            seed for every random choice (same seed, same waits)
  --out DIR           run folder (default: runs/<scenario>-<timestamp>)
  --quiet             no plan and no progress line
  --allow-remote      allow chaos against non-loopback hosts that the
                      scenario names in remoteTargets (both are required)

Writes report.html, junit.xml and summary.md into the run folder (and the
summary to $GITHUB_STEP_SUMMARY when it is set).

Exit codes: 0 every threshold held, 1 a threshold failed (by default: some
device never came back), 2 bad input, 130 interrupted.`;

function positiveNumber(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new AftershockError('bad-flag', `${flag} must be a ${integer ? 'whole number' : 'number'} greater than 0, got "${text}"`);
  }
  return value;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('run', {
    args: argv,
    allowPositionals: true,
    options: {
      devices: { type: 'string' },
      'time-scale': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'allow-remote': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(runUsage);
    return exitCodes.passed;
  }
  if (positionals.length > 1) {
    throw new AftershockError('bad-usage', `run takes one scenario, got ${positionals.length} (${positionals.join(' ')}); see \`aftershock run --help\``);
  }
  const overrides: ScenarioOverrides = {
    devices: positiveNumber('--devices', values.devices, true),
    timeScale: positiveNumber('--time-scale', values['time-scale'], false),
    seed: values.seed,
  };
  const reference = positionals[0] ?? 'hard-kill';
  const { input, source } = await loadScenarioInput(reference);
  const scenario = validateScenario(applyOverrides(input, overrides), source);
  const runDir = resolve(values.out ?? join('runs', `${scenario.name}-${runFolderTime()}`));

  const shutdown = watchShutdown({ onRequest: (reason) => console.error(`\naftershock: ${describeShutdown(reason)}: stopping; the summary so far is written`) });
  const progress = progressLine();
  try {
    const { summary } = await runScenario({
      scenario,
      runDir,
      signal: shutdown.signal,
      allowRemote: values['allow-remote'],
      onPlan: values.quiet ? undefined : (plan) => console.error(plan.lines.join('\n')),
      onProgress: values.quiet ? undefined : progress.update,
    });
    progress.done();
    console.log(`\naftershock: ${scenario.name} finished\n${formatSummary(summary, runDir)}`);
    console.log(`${formatThresholdTable(thresholdResultsOf(summary))}\n  report      ${join(runDir, 'report.html')}`);
    if (summary.outcome === 'interrupted') return exitCodes.interrupted;
    // Thresholds include the default "every device came back" unless the scenario sets its own.
    return verdictOf(summary) === 'passed' ? exitCodes.passed : exitCodes.thresholdFailed;
  } finally {
    progress.done();
    shutdown.stop();
  }
}
