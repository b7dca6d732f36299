import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatSummary } from '../../reports/console-summary.ts';
import { replayEvents } from '../../reports/replay-events.ts';
import type { RunSummary } from '../../reports/run-collector.ts';
import { evaluateThresholds } from '../../reports/thresholds/evaluate-thresholds.ts';
import { formatThresholdTable } from '../../reports/thresholds/threshold-table.ts';
import { parseThresholds, type Threshold } from '../../reports/thresholds/threshold.ts';
import { incompleteReason, verdictOf } from '../../reports/verdict.ts';
import { writeRunReports } from '../../reports/write-reports.ts';
import { reportFromK6 } from '../../reports/k6/report-from-k6.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { parseFlags } from './parse-flags.ts';

export const reportUsage = `usage: aftershock report RUN_DIR
       aftershock report --from-k6 K6_OUTPUT.json[.gz] [--from-k6 ...] [--chaos CHAOS_EVENTS] [RUN_DIR]

Rebuilds summary.json, report.html, junit.xml and summary.md of a run from
its event stream (events.ndjson), also for a run that crashed half-way: the
report then says it is partial. Thresholds are the ones in the run's
scenario.json. Fields the events cannot give (such as the planner's model)
are kept from the previous summary.json.

With --from-k6: builds the same summary and reports from k6's --out json of
a script from \`aftershock export k6\` (one file per k6 instance) and the
chaos-events.ndjson of \`aftershock chaos play\`, into RUN_DIR (default: the
first k6 output's folder; put it in the export's folder to use its
scenario.json thresholds).

Exit codes: 0 reports written (whatever the run's verdict), 2 bad input.`;

/** The thresholds a run was played with, from its normalised scenario.json; what cannot be read becomes a note. */
function thresholdsOfRun(runDir: string, notes: string[]): Threshold[] {
  const path = join(runDir, 'scenario.json');
  if (!existsSync(path)) {
    notes.push('The run folder has no scenario.json: only the default threshold is evaluated.');
    return [];
  }
  let declared: unknown;
  try {
    declared = (JSON.parse(readFileSync(path, 'utf8')) as { thresholds?: unknown }).thresholds;
  } catch (error) {
    notes.push(`scenario.json is not JSON (${(error as Error).message}): only the default threshold is evaluated.`);
    return [];
  }
  if (declared === undefined) return [];
  // Normalised form: [{ metric, condition }]; parse the conditions again so the limits follow this version's units.
  const input: Record<string, string[]> = {};
  for (const entry of Array.isArray(declared) ? declared : []) {
    const { metric, condition } = entry as { metric?: unknown; condition?: unknown };
    if (typeof metric === 'string' && typeof condition === 'string') (input[metric] ??= []).push(condition);
  }
  const { thresholds, problems } = parseThresholds(input);
  for (const problem of problems) notes.push(`Threshold thresholds.${problem.path.join('.')} in scenario.json was left out: ${problem.message}`);
  return thresholds;
}

/** Copies what the event fold cannot know (e.g. `model`, runner-set checks) from the previous summary of the same schema. */
function keepExtras(rebuilt: RunSummary, runDir: string): RunSummary {
  const path = join(runDir, 'summary.json');
  if (!existsSync(path)) return rebuilt;
  let previous: Record<string, unknown>;
  try {
    previous = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return rebuilt;
  }
  if (previous.schemaVersion !== rebuilt.schemaVersion) return rebuilt;
  const target = rebuilt as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(previous)) {
    if (key === 'thresholds') continue; // evaluated again
    if (!(key in target)) target[key] = value;
    else if (isRecord(value) && isRecord(target[key])) {
      const nested = target[key] as Record<string, unknown>;
      for (const [k, v] of Object.entries(value)) if (!(k in nested)) nested[k] = v;
    }
  }
  return rebuilt;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('report', {
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h', default: false }, 'from-k6': { type: 'string', multiple: true }, chaos: { type: 'string' } },
  });
  if (values.help) {
    console.log(reportUsage);
    return exitCodes.passed;
  }
  const k6Outputs = values['from-k6'];
  if (k6Outputs !== undefined || values.chaos !== undefined) {
    if (k6Outputs === undefined) throw new AftershockError('bad-usage', '--chaos goes with --from-k6; a local run has its chaos in events.ndjson');
    if (positionals.length > 1) throw new AftershockError('bad-usage', `report --from-k6 takes at most one run folder, got ${positionals.length} (${positionals.join(' ')})`);
    await reportFromK6({ k6Outputs, chaos: values.chaos, runDir: positionals[0], thresholdsOf: thresholdsOfRun });
    return exitCodes.passed;
  }
  if (positionals.length !== 1) {
    throw new AftershockError('bad-usage', `report takes one run folder, got ${positionals.length}${positionals.length ? ` (${positionals.join(' ')})` : ''}; see \`aftershock report --help\``);
  }
  const runDir = resolve(positionals[0]);
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) {
    throw new AftershockError('run-dir-not-found', `run folder ${runDir} does not exist; give a folder written by \`aftershock run\``);
  }
  const { summary: folded, events, skippedLines } = await replayEvents(join(runDir, 'events.ndjson'));
  const notes: string[] = [];
  if (skippedLines.length > 0) {
    const first = skippedLines[0];
    notes.push(`${skippedLines.length} line${skippedLines.length > 1 ? 's' : ''} of events.ndjson could not be read and ${skippedLines.length > 1 ? 'were' : 'was'} skipped (first: line ${first.line}, ${first.reason}); a run killed mid-write cuts its last line short.`);
  }
  const summary = keepExtras(folded, runDir);
  summary.thresholds = evaluateThresholds(thresholdsOfRun(runDir, notes), summary);
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  const written = writeRunReports(runDir, summary, { notes });

  console.log(`aftershock: rebuilt the reports of ${runDir} from ${events} events`);
  const reason = incompleteReason(summary);
  for (const note of [...(reason ? [reason] : []), ...notes]) console.log(`  note: ${note}`);
  console.log(formatSummary(summary, runDir));
  console.log(formatThresholdTable(summary.thresholds));
  console.log(`  verdict     ${verdictOf(summary)}`);
  for (const path of Object.values(written.files)) console.log(`  wrote       ${path}`);
  if (written.stepSummary) console.log(`  appended    ${written.stepSummary}`);
  return exitCodes.passed;
}
