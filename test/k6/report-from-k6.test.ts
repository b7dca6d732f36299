import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseK6Time } from '../../reports/k6/k6-json-reader.ts';
import { reportFromK6 } from '../../reports/k6/report-from-k6.ts';
import { ownershipNotes } from '../../reports/k6/k6-to-run-events.ts';
import type { RunSummary } from '../../reports/run-collector.ts';
import { loadSummary } from '../../reports/summary-file.ts';
import { parseThresholds } from '../../reports/thresholds/threshold.ts';
import { main } from '../../scenarios/cli/main.ts';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const k6Output = join(fixtures, 'k6-hard-kill.json');
const chaosEvents = join(fixtures, 'chaos-events.ndjson');

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-k6-report-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const quiet = { log: () => {} };
const noThresholds = (): never[] => [];

describe('report --from-k6 on a hand-written k6 output', () => {
  // The fixture: 4 devices on 2 VUs at time scale 10, a kill at 11:00:01
  // restored at 11:00:03 (+01:00); scenario time is real time since the
  // first VU started (11:00:00.000012) times 10.
  it('rebuilds the summary a local run would have', async () => {
    const runDir = tempDir();
    const { summary, notes } = await reportFromK6({ k6Outputs: [k6Output], chaos: chaosEvents, runDir, thresholdsOf: noThresholds, ...quiet });
    expect(summary.scenario).toBe('fixture-kill');
    expect(summary.seed).toBe(7);
    expect(summary.timeScale).toBe(10);
    expect(summary.devices).toBe(4);
    expect(summary.outcome).toBe('recovered');
    expect(summary.startedAt).toBe('2026-03-02T10:00:00.000Z');
    expect(summary.versions).toEqual({ aftershock: '0.1.0', load: 'k6' });

    // Attempts: 4 boots, then d0 once, d1 three times, d2 and d3 once.
    expect(summary.attempts.total).toBe(10);
    expect(summary.failures).toEqual({ total: 2, byCause: { refused: 2 } });
    expect(summary.lost).toEqual({ total: 4, byCause: { close: 4 } });
    // Chaos from the chaos file, on the k6 clock: inject 1 s after the origin, undo 3 s after (x10).
    expect(summary.chaos.map((c) => `${c.action}@${Math.round(c.t)}`)).toEqual(['inject@10000', 'undo@30000']);
    expect(summary.faultAtMs).toBeCloseTo(9999.88, 2);
    expect(summary.restoredAtMs).toBeCloseTo(29999.88, 2);
    // Back after the restore: d0 at 3.3045 s, d2 at 4.1049 s, d1 at 4.5068 s, d3 at 5.0052 s (real, from 11:00:00).
    expect(summary.recovery.t50).toBeCloseTo(11049, 1);
    expect(summary.recovery.t90).toBeCloseTo(20052, 1);
    expect(summary.recovery.t100).toBeCloseTo(20052, 1);
    expect(summary.recoveryCdf?.share).toEqual([0.25, 0.5, 0.75, 1]);
    expect(summary.neverReturned.count).toBe(0);
    expect(summary.devicesOnlineAtEnd).toBe(4);
    // Handshakes: 8, the k6 trend's values (real ms).
    expect(summary.handshakeMs.count).toBe(8);
    expect(summary.handshakeMs.max).toBe(4);
    // Waits came through: every attempt waited its planned time.
    expect(summary.verification.earlyAttempts).toBe(0);
    // Per-second series from the Point timestamps: the outage seconds have no one online.
    const at = (second: number) => summary.series[second];
    expect(at(1).attempts).toBe(1);
    expect(at(15).failures).toEqual({ refused: 1 });
    expect(at(20).online).toBe(0);
    expect(at(50).online).toBe(4);
    // Backend samples from chaos play, the one before the VUs started left out.
    expect(summary.backend.samples).toHaveLength(4);
    expect(summary.backend.unreachableSamples).toBe(1);
    expect(notes).toContain('1 chaos-file event from before the first k6 VU started was left out (backend samples while the target waited for the load).');

    // The same files as a local run: a summary that validates, reports, and events `aftershock report` can refold.
    const loaded: RunSummary = loadSummary(runDir);
    expect(loaded.attempts.total).toBe(10);
    for (const file of ['report.html', 'junit.xml', 'summary.md', 'events.ndjson', 'k6-sources.json']) expect(existsSync(join(runDir, file)), file).toBe(true);
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('fixture-kill');
  });

  it('reads gzip output, several instance files, and evaluates the scenario thresholds', async () => {
    const runDir = tempDir();
    // Split the fixture as two k6 instances would write it: one file per VU, gzipped like --out json=k6.json.gz.
    const lines = readFileSync(k6Output, 'utf8').trim().split('\n');
    const ofVu = (vu: string) => lines.filter((line) => !line.includes('"aftershock_vu"') || line.includes(`"aftershock_vu":"${vu}"`));
    writeFileSync(join(runDir, 'runner-0.json.gz'), gzipSync(ofVu('1').join('\n') + '\n'));
    writeFileSync(join(runDir, 'runner-1.json.gz'), gzipSync(ofVu('2').join('\n') + '\n'));
    const thresholds = parseThresholds({ 'recovery.t99': ['<15s'], 'failures.total': ['<=2'] }).thresholds;
    const { summary } = await reportFromK6({
      k6Outputs: [join(runDir, 'runner-0.json.gz'), join(runDir, 'runner-1.json.gz')],
      chaos: chaosEvents,
      runDir,
      thresholdsOf: () => thresholds,
      ...quiet,
    });
    expect(summary.attempts.total).toBe(10);
    expect(summary.recovery.t100).toBeCloseTo(20052, 1);
    expect(summary.thresholds?.map((t) => `${t.metric} ${t.passed ? 'pass' : 'fail'} ${t.shown}`)).toEqual([
      'recovery.t99 fail 20.1s',
      'failures.total pass 2',
      'devices.never_returned pass 0',
    ]);
  });

  it('says which devices no VU held when an instance file is missing, and marks the run partial when cut short', async () => {
    const runDir = tempDir();
    const lines = readFileSync(k6Output, 'utf8').trim().split('\n');
    const firstVuOnly = lines.filter((line) => !line.includes('"aftershock_vu":"2"'));
    // Cut short as k6 killed mid-write: the last VU end and half a line are missing.
    const cut = firstVuOnly.slice(0, firstVuOnly.findIndex((line) => line.includes('aftershock_devices_online_at_end'))).join('\n') + '\n{"type":"Point","data":{"ti';
    writeFileSync(join(runDir, 'k6.json'), cut);
    const { summary, notes } = await reportFromK6({ k6Outputs: [join(runDir, 'k6.json')], chaos: chaosEvents, runDir, thresholdsOf: noThresholds, ...quiet });
    expect(summary.outcome).toBe('partial');
    expect(summary.neverReturned.count).toBe(2);
    expect(notes).toContain('1 of the 2 VUs the script was exported for started (give every k6 instance\'s output with --from-k6).');
    expect(notes).toContain('No VU held devices 2-3: they count as never returned.');
    expect(notes).toContain('1 of 1 VUs did not report their end (k6 stopped early, or an output file is cut short): the run is partial.');
    expect(notes.some((note) => /1 line of .*k6\.json could not be read/.test(note))).toBe(true);
  });

  it('runs as `aftershock report --from-k6 ... --chaos ...` and takes the thresholds from the folder\'s scenario.json', async () => {
    const runDir = tempDir();
    copyFileSync(k6Output, join(runDir, 'k6.json'));
    writeFileSync(join(runDir, 'scenario.json'), JSON.stringify({ name: 'fixture-kill', thresholds: [{ metric: 'attempts.total', condition: '<=10' }] }));
    const printed: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (line: string) => printed.push(line);
    console.error = (line: string) => printed.push(line);
    try {
      expect(await main(['report', '--from-k6', join(runDir, 'k6.json'), '--chaos', chaosEvents])).toBe(0);
      expect(printed.join('\n')).toMatch(/✓ pass\s+attempts\.total\s+<=10\s+10/);
      expect(printed.join('\n')).toMatch(/verdict +passed/);
      expect(await main(['report', '--chaos', chaosEvents, runDir])).toBe(2);
      expect(printed.at(-1)).toBe('aftershock: error: --chaos goes with --from-k6; a local run has its chaos in events.ndjson');
      expect(await main(['report', '--from-k6', join(runDir, 'missing.json'), runDir])).toBe(2);
      expect(printed.at(-1)).toMatch(/k6 output .*missing\.json does not exist/);
    } finally {
      console.log = log;
      console.error = error;
    }
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).thresholds[0]).toMatchObject({ metric: 'attempts.total', passed: true });
  });

  it('refuses k6 output that no exported script wrote', async () => {
    const runDir = tempDir();
    writeFileSync(
      join(runDir, 'other.json'),
      '{"type":"Metric","data":{"name":"vus","type":"gauge","contains":"default","thresholds":[],"submetrics":null},"metric":"vus"}\n' +
        '{"type":"Point","data":{"time":"2026-03-02T11:00:00Z","value":1,"tags":null},"metric":"vus"}\n',
    );
    await expect(reportFromK6({ k6Outputs: [join(runDir, 'other.json')], runDir, thresholdsOf: noThresholds, ...quiet })).rejects.toThrow(
      /no aftershock_devices_started sample with the run's identity: this k6 output was not written by a script from `aftershock export k6`/,
    );
  });
});

describe('k6 output details', () => {
  it("parses k6's RFC 3339 times with their sub-millisecond digits and zone", () => {
    expect(parseK6Time('2017-05-09T14:34:45.625742514+02:00')).toBeCloseTo(Date.UTC(2017, 4, 9, 12, 34, 45) + 625.742514, 3);
    expect(parseK6Time('2021-02-24T13:37:10Z')).toBe(Date.UTC(2021, 1, 24, 13, 37, 10));
    expect(parseK6Time('yesterday')).toBeNaN();
  });

  it('finds gaps and overlaps in device ownership', () => {
    expect(ownershipNotes([{ vu: 1, first: 0, count: 5 }, { vu: 2, first: 5, count: 5 }], { devices: 10, totalVus: 2 })).toEqual([]);
    expect(ownershipNotes([{ vu: 1, first: 0, count: 5 }, { vu: 1, first: 0, count: 5 }], { devices: 5, totalVus: 1 })).toEqual([
      '2 of the 1 VUs the script was exported for started (give every k6 instance\'s output with --from-k6).',
      '1 VU held devices another VU held too (the same k6 output given twice?).',
    ]);
  });
});
