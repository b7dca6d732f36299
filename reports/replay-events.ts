import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { AftershockError } from '../scenarios/errors.ts';
import { RunCollector, type RunSummary } from './run-collector.ts';
import type { RunEvent } from './run-events.ts';

export interface ReplayResult {
  summary: RunSummary;
  events: number;
  /** Lines that were not events: a run killed mid-write leaves its last line cut short. */
  skippedLines: { line: number; reason: string }[];
}

/**
 * Folds an `events.ndjson` into a summary, streaming it line by line so a
 * 100,000-device run does not need the file in memory. A line that does not
 * parse is skipped and reported (it can only be the cut-off end of a run
 * that died mid-write), never fatal.
 */
export async function replayEvents(eventsPath: string): Promise<ReplayResult> {
  if (!existsSync(eventsPath)) {
    throw new AftershockError('events-not-found', `${eventsPath} does not exist; give a run folder written by \`aftershock run\` (it holds events.ndjson)`);
  }
  const collector = new RunCollector();
  const skippedLines: ReplayResult['skippedLines'] = [];
  let lineNumber = 0;
  let events = 0;
  const lines = createInterface({ input: createReadStream(eventsPath, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    let event: RunEvent;
    try {
      event = JSON.parse(line) as RunEvent;
    } catch (error) {
      skippedLines.push({ line: lineNumber, reason: (error as Error).message });
      continue;
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string' || typeof event.t !== 'number') {
      skippedLines.push({ line: lineNumber, reason: 'not a run event (needs type and t)' });
      continue;
    }
    collector.add(event);
    events++;
  }
  let summary: RunSummary;
  try {
    summary = collector.summary();
  } catch {
    throw new AftershockError('not-a-run', `${eventsPath} holds no run-start event (${events} events read); it is empty or not an aftershock event stream`);
  }
  return { summary, events, skippedLines };
}
