import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { AftershockError } from '../../scenarios/errors.ts';
import { formatSummary } from '../console-summary.ts';
import { RunCollector, type RunSummary } from '../run-collector.ts';
import type { RunEvent } from '../run-events.ts';
import { evaluateThresholds } from '../thresholds/evaluate-thresholds.ts';
import { formatThresholdTable } from '../thresholds/threshold-table.ts';
import type { Threshold } from '../thresholds/threshold.ts';
import { incompleteReason, verdictOf } from '../verdict.ts';
import { writeRunReports, type WrittenReports } from '../write-reports.ts';
import { readK6Json } from './k6-json-reader.ts';
import { K6EventConverter } from './k6-to-run-events.ts';

/** Written beside the rebuilt events: which k6 outputs and chaos file they came from. */
export const k6SourcesFileName = 'k6-sources.json';

export interface ReportFromK6Options {
  /** k6 `--out json` files, one per k6 instance (plain or gzip). */
  k6Outputs: string[];
  /** chaos-events.ndjson from `aftershock chaos play`, if the run had chaos. */
  chaos?: string;
  /** Where summary.json, events.ndjson and the reports go (default: the first k6 output's folder). */
  runDir?: string;
  /** The scenario's thresholds (the caller reads them from the run folder's scenario.json). */
  thresholdsOf: (runDir: string, notes: string[]) => Threshold[];
  log?: (line: string) => void;
}

export interface ReportFromK6Result {
  runDir: string;
  summary: RunSummary;
  notes: string[];
  written: WrittenReports;
}

/** Reads `aftershock chaos play`'s events: run events with `epochMs`. */
export async function readChaosEvents(path: string): Promise<{ events: (RunEvent & { epochMs: number })[]; skipped: number }> {
  if (!existsSync(path)) throw new AftershockError('chaos-events-not-found', `chaos events ${path} do not exist; give the chaos-events.ndjson that \`aftershock chaos play\` wrote`);
  const events: (RunEvent & { epochMs: number })[] = [];
  let skipped = 0;
  for await (const line of createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    try {
      const event = JSON.parse(line) as RunEvent & { epochMs: number };
      if (typeof event?.type === 'string' && typeof event.epochMs === 'number') events.push(event);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}

/**
 * `aftershock report --from-k6`: reads k6's JSON output of an exported
 * script (every instance's file) and the chaos timeline, rebuilds the run's
 * events, folds them with the same collector as a local run, evaluates the
 * scenario's thresholds and writes the same summary.json and reports.
 */
export async function reportFromK6(options: ReportFromK6Options): Promise<ReportFromK6Result> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (options.k6Outputs.length === 0) throw new AftershockError('bad-usage', 'report --from-k6 needs at least one k6 output file');
  const runDir = resolve(options.runDir ?? dirname(resolve(options.k6Outputs[0])));
  if (existsSync(runDir) && !statSync(runDir).isDirectory()) throw new AftershockError('bad-usage', `${runDir} is a file; give a folder for the reports`);
  if (existsSync(join(runDir, 'events.ndjson')) && !existsSync(join(runDir, k6SourcesFileName))) {
    throw new AftershockError('run-dir-not-k6', `${runDir} holds the events of a local run; give another folder for the k6 run's reports (aftershock never overwrites a run)`);
  }
  mkdirSync(runDir, { recursive: true });

  const converter = new K6EventConverter();
  const notes: string[] = [];
  for (const path of options.k6Outputs) {
    const { problems } = await readK6Json(resolve(path), converter.add);
    if (problems.length > 0) {
      notes.push(`${problems.length} line${problems.length > 1 ? 's' : ''} of ${path} could not be read and ${problems.length > 1 ? 'were' : 'was'} skipped (first: line ${problems[0].line}, ${problems[0].reason}); k6 killed mid-write cuts its last line short.`);
    }
  }
  const chaos = options.chaos ? await readChaosEvents(resolve(options.chaos)) : { events: [], skipped: 0 };
  if (chaos.skipped > 0) notes.push(`${chaos.skipped} line${chaos.skipped > 1 ? 's' : ''} of ${options.chaos} could not be read and ${chaos.skipped > 1 ? 'were' : 'was'} skipped.`);
  if (!options.chaos) notes.push('No chaos events were given (--chaos): recovery is measured only if the k6 output holds a restore, which it never does.');

  let conversion;
  try {
    conversion = converter.finish(chaos.events, (events) => {
      const probe = new RunCollector();
      for (const event of events) probe.add(event);
      return probe.summary().devicesOnlineAtEnd;
    });
  } catch (error) {
    throw new AftershockError('not-aftershock-k6', `${options.k6Outputs.join(', ')}: ${(error as Error).message}`);
  }
  notes.push(...conversion.notes);

  const collector = new RunCollector();
  for (const event of conversion.events) collector.add(event);
  const summary = collector.summary();
  summary.thresholds = evaluateThresholds(options.thresholdsOf(runDir, notes), summary);

  writeFileSync(join(runDir, 'events.ndjson'), conversion.events.map((event) => JSON.stringify(event)).join('\n') + '\n');
  writeFileSync(
    join(runDir, k6SourcesFileName),
    JSON.stringify({ k6Outputs: options.k6Outputs.map((p) => resolve(p)), chaos: options.chaos ? resolve(options.chaos) : null, originEpochMs: conversion.originEpochMs, vus: conversion.vus }, null, 2) + '\n',
  );
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  const written = writeRunReports(runDir, summary, { notes });

  log(`aftershock: built the reports of a k6 run from ${options.k6Outputs.length} k6 output${options.k6Outputs.length > 1 ? 's' : ''} (${conversion.vus.length} VUs, ${conversion.events.length} events)`);
  const reason = incompleteReason(summary);
  for (const note of [...(reason ? [reason] : []), ...notes]) log(`  note: ${note}`);
  log(formatSummary(summary, runDir));
  log(formatThresholdTable(summary.thresholds));
  log(`  verdict     ${verdictOf(summary)}`);
  for (const path of Object.values(written.files)) log(`  wrote       ${path}`);
  if (written.stepSummary) log(`  appended    ${written.stepSummary}`);
  return { runDir, summary, notes, written };
}
