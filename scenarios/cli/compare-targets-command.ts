import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { assertChaosPossible } from '../../chaos/chaos-preflight.ts';
import { renderCompareReport } from '../../reports/compare/compare-report.ts';
import { formatSummary } from '../../reports/console-summary.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { applyOverrides, loadScenarioInput, type ScenarioOverrides } from '../load-scenario.ts';
import { runScenario } from '../runner.ts';
import type { Scenario } from '../scenario-schema.ts';
import { validateScenario } from '../validate-scenario.ts';
import { describeSize, formatSizeComparison, sizeVerdict, type ComparedTarget } from './compare-targets-table.ts';
import { parseFlags } from './parse-flags.ts';
import { progressLine } from './progress-line.ts';
import { describeShutdown, watchShutdown } from './shutdown-signals.ts';
import { readTargetSpec } from './target-spec.ts';
import { runFolderTime } from './run-folder-time.ts';

export const compareTargetsUsage = `usage: aftershock compare --target-a TARGET --target-b TARGET [SCENARIO] [options]

Pre-resize validation: plays the same scenario (same seed) against two
targets, one after the other, and compares them: typically one container at
two sizes, e.g. --target-a container:cpus=0.5,memory=512m
--target-b container:cpus=2,memory=2g. Prints a table and says whether
the smaller size recovered more slowly or with more failures; writes
compare.json and compare.html (both runs on the same axes) beside the two
run folders.

  TARGET              container:KEY=VALUE,... for the reference backend's
                      image with limits: cpus=CORES, memory=SIZE (512m, 2g);
                      image=NAME,port=N for another image. Or a target as
                      JSON ('{"kind":"container","cpus":0.5}'), or a JSON
                      file holding one. Replaces the scenario's target.
  SCENARIO            built-in name or scenario file (default: hard-kill);
                      on a container, kill, stop and freeze are done through
                      the engine (docker kill, stop, pause)
  --devices N, --time-scale S, --seed X   as for \`aftershock run\`
  --out DIR           folder for a/, b/ and the comparison
                      (default: runs/compare-<scenario>-<timestamp>)
  --quiet             no progress, no per-run summaries

Exit codes: 0 compared, 2 bad input, 130 interrupted.`;

function positiveNumber(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new AftershockError('bad-flag', `${flag} must be a ${integer ? 'whole number' : 'number'} greater than 0, got "${text}"`);
  }
  return value;
}

export async function compareTargetsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('compare', {
    args: argv,
    allowPositionals: true,
    options: {
      'target-a': { type: 'string' },
      'target-b': { type: 'string' },
      devices: { type: 'string' },
      'time-scale': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(compareTargetsUsage);
    return exitCodes.passed;
  }
  if (values['target-a'] === undefined || values['target-b'] === undefined) {
    throw new AftershockError('bad-usage', `compare of two targets needs both --target-a and --target-b; see \`aftershock compare --help\``);
  }
  if (positionals.length > 1) {
    throw new AftershockError('bad-usage', `compare --target-a/--target-b takes one scenario, got ${positionals.length} (${positionals.join(' ')})`);
  }
  const overrides: ScenarioOverrides = {
    devices: positiveNumber('--devices', values.devices, true),
    timeScale: positiveNumber('--time-scale', values['time-scale'], false),
    seed: values.seed,
  };
  const { input, source } = await loadScenarioInput(positionals[0] ?? 'hard-kill');
  const base = applyOverrides(input, overrides) as Record<string, unknown>;
  // Both validated before either runs: a typo in B must not cost the whole of A's run.
  const scenarios = {
    A: validateScenario({ ...base, target: readTargetSpec('--target-a', values['target-a']) }, `${source} with --target-a`),
    B: validateScenario({ ...base, target: readTargetSpec('--target-b', values['target-b']) }, `${source} with --target-b`),
  };
  // Same for chaos a target cannot take (memory-hog in a shared cgroup on a container): say so before A runs.
  for (const key of ['A', 'B'] as const) {
    try {
      assertChaosPossible(scenarios[key]);
    } catch (error) {
      if (error instanceof AftershockError) throw new AftershockError(error.code, `--target-${key.toLowerCase()}: ${error.message}`, { details: error.details, cause: error });
      throw error;
    }
  }
  const outDir = resolve(values.out ?? join('runs', `compare-${scenarios.A.name}-${runFolderTime()}`));

  const shutdown = watchShutdown({ onRequest: (reason) => console.error(`\naftershock: ${describeShutdown(reason)}: stopping the run in progress`) });
  const compared: ComparedTarget[] = [];
  // Containers compete with every other process on the machine; a busy one gives neither size its limit.
  const cores = availableParallelism();
  const loadBefore: Record<string, number> = {};
  try {
    for (const key of ['A', 'B'] as const) {
      const scenario: Scenario = scenarios[key];
      const runDir = join(outDir, key.toLowerCase());
      const progress = progressLine();
      loadBefore[key] = +loadavg()[0].toFixed(2);
      if (!values.quiet) console.error(`aftershock: ${key}: ${scenario.name} against ${scenario.target.kind} (${describeSize(scenario.target)}), seed ${JSON.stringify(scenario.seed)}`);
      try {
        const { summary } = await runScenario({ scenario, runDir, signal: shutdown.signal, onProgress: values.quiet ? undefined : progress.update });
        progress.done();
        if (!values.quiet) console.error(formatSummary(summary, runDir));
        if (summary.outcome === 'interrupted') return exitCodes.interrupted;
        compared.push({ key, target: scenario.target, summary, runDir });
      } finally {
        progress.done();
      }
    }
  } finally {
    shutdown.stop();
  }

  const [a, b] = compared;
  const verdict = sizeVerdict(a, b);
  const busiest = Math.max(...Object.values(loadBefore));
  const busy = busiest > cores;
  const { changes, text } = formatSizeComparison(a, b, verdict);
  const busyNote = busy
    ? `\n  note: the machine was busy (load ${busiest} on ${cores} cores before a run): both containers competed with other processes for CPU, so neither surely got its limit; compare sizes on a quiet machine`
    : '';
  const html = join(outDir, 'compare.html');
  writeFileSync(html, renderCompareReport({ name: `A (${describeSize(a.target)})`, summary: a.summary }, { name: `B (${describeSize(b.target)})`, summary: b.summary }));
  const json = join(outDir, 'compare.json');
  writeFileSync(
    json,
    JSON.stringify(
      {
        schemaVersion: 1,
        scenario: a.summary.scenario,
        seed: a.summary.seed,
        timeScale: a.summary.timeScale,
        devices: a.summary.devices,
        machine: { cores, loadBefore, busy },
        a: { target: a.target, size: describeSize(a.target), runDir: a.runDir },
        b: { target: b.target, size: describeSize(b.target), runDir: b.runDir },
        changes,
        verdict,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`${text}${busyNote}\n  wrote ${json}\n  wrote ${html}`);
  return exitCodes.passed;
}
