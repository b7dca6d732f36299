import { createReadStream, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { AftershockError } from '../../scenarios/errors.ts';

/**
 * One line of k6's `--out json`: a Metric record (declared once per
 * metric, before its first Point) or a Point record (one sample).
 *
 *   {"type":"Metric","data":{"name":"vus","type":"gauge","contains":"default","thresholds":[],"submetrics":null},"metric":"vus"}
 *   {"type":"Point","data":{"time":"2017-05-09T14:34:45.625742514+02:00","value":5,"tags":null,"metadata":{"k":"v"}},"metric":"vus"}
 */
export type K6Record =
  | { type: 'Metric'; metric: string; data: { type: 'counter' | 'gauge' | 'rate' | 'trend'; contains?: string; thresholds?: string[] | null } }
  | { type: 'Point'; metric: string; data: { time: string; value: number; tags: Record<string, string> | null; metadata?: Record<string, string> } };

export interface K6ReadProblem {
  line: number;
  reason: string;
}

/**
 * Reads a k6 JSON output file line by line (gzip when the file starts with
 * the gzip magic bytes, as k6 writes it for `--out json=file.gz`), handing
 * each record to `onRecord`. Lines that are not records are counted and
 * skipped: a k6 killed mid-write cuts its last line short.
 */
export async function readK6Json(path: string, onRecord: (record: K6Record) => void): Promise<{ records: number; problems: K6ReadProblem[] }> {
  if (!existsSync(path)) throw new AftershockError('k6-output-not-found', `k6 output ${path} does not exist; give the file k6 wrote with --out json=FILE`);
  const head = Buffer.alloc(2);
  const handle = await open(path, 'r');
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(path);
  const input = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  const problems: K6ReadProblem[] = [];
  let records = 0;
  let line = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let record: K6Record;
      try {
        record = JSON.parse(text) as K6Record;
      } catch (error) {
        problems.push({ line, reason: (error as Error).message });
        continue;
      }
      if ((record?.type !== 'Metric' && record?.type !== 'Point') || typeof record.metric !== 'string' || typeof record.data !== 'object' || record.data === null) {
        problems.push({ line, reason: 'not a k6 Metric or Point record' });
        continue;
      }
      records++;
      onRecord(record);
    }
  } catch (error) {
    // A gzip stream cut short (k6 killed before it closed the file).
    problems.push({ line: line + 1, reason: (error as Error).message });
  }
  return { records, problems };
}

/**
 * k6's RFC 3339 timestamps ("2021-02-24T13:37:10.123456789+02:00") as epoch
 * milliseconds, keeping the sub-millisecond digits Date.parse drops.
 */
export function parseK6Time(text: string): number {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)$/.exec(text);
  if (!match) return Number.NaN;
  const whole = Date.parse(`${match[1]}${match[3]}`);
  return match[2] ? whole + Number(`0${match[2]}`) * 1000 : whole;
}
