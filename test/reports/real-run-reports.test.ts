import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadSummary } from '../../reports/summary-file.ts';
import { aftershock, smallScenario, writeScenario, type CliResult } from './real-run.ts';

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const parseXml = (path: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(path, 'utf8'));

describe('reports and the gate on real runs (200 devices, time scale 60)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-reports-it-'));
  const baselineDir = join(dir, 'baseline');
  const slowerDir = join(dir, 'slower');
  let baselineRun: CliResult;
  let slowerRun: CliResult;

  beforeAll(async () => {
    // The baseline declares an impossible threshold (half the fleet back within 1 ms of the restore).
    const thresholds = { 'recovery.t50': ['<1ms'], 'recovery.t100': ['<10m'], 'devices.never_returned': ['==0'] };
    baselineRun = await aftershock(['run', writeScenario(dir, smallScenario('gate-baseline', { thresholds })), '--out', baselineDir, '--quiet']);
    // The same fleet with a slower policy: first retries spread over 5 minutes instead of 1.
    slowerRun = await aftershock(['run', writeScenario(dir, smallScenario('gate-slower', { policy: { kind: 'seed', firstWaitMax: '5m' } })), '--out', slowerDir, '--quiet']);
  }, 180_000);

  test('an impossible threshold makes `run` exit 1 and prints the threshold table and the report path', () => {
    expect(baselineRun.stderr).toBe('');
    expect(baselineRun.code).toBe(1);
    expect(baselineRun.stdout).toMatch(/✗ FAIL\s+recovery\.t50\s+<1ms\s+\d/);
    expect(baselineRun.stdout).toMatch(/✓ pass\s+devices\.never_returned\s+==0\s+0/);
    expect(baselineRun.stdout).toContain(`report      ${join(baselineDir, 'report.html')}`);
    // Without thresholds of its own, a run that recovered passes the default and exits 0.
    expect(slowerRun.code).toBe(0);
  });

  test('JUnit XML parses, has one case per threshold, and the failing case says metric, limit and value', () => {
    const xml = parseXml(join(baselineDir, 'junit.xml'));
    const cases = asArray(xml.testsuites.testsuite.testcase) as { name: string; failure?: { message: string } }[];
    expect(cases.map((c) => c.name)).toEqual(['recovery.t50 <1ms', 'recovery.t100 <10m', 'devices.never_returned ==0']);
    const failing = cases.filter((c) => c.failure);
    expect(failing).toHaveLength(1);
    expect(failing[0].failure!.message).toMatch(/^recovery\.t50 is \d+(\.\d+)?(ms|s|m\d*s?), limit <1ms$/);
    const summary = loadSummary(baselineDir);
    expect(summary.thresholds?.find((t) => t.metric === 'recovery.t50')).toMatchObject({ passed: false, limit: 1 });
  });

  test('every report file is in the run folder, and summary.json passes its schema', () => {
    for (const file of ['report.html', 'junit.xml', 'summary.md', 'summary.json']) expect(existsSync(join(baselineDir, file))).toBe(true);
    expect(loadSummary(slowerDir).outcome).toBe('recovered');
  });

  test('`gate` exits 0 on the same run twice', async () => {
    const gate = await aftershock(['gate', '--baseline', join(baselineDir, 'summary.json'), baselineDir]);
    expect(gate.code).toBe(0);
    expect(gate.stdout).toMatch(/recovery\.t99\s+\S+\s+\S+\s+0%\s+= unchanged/);
    expect(gate.stdout).toContain('passed: no metric got worse by more than 10%');
  });

  test('`gate` exits 1 on a run made worse on purpose (slower policy), naming the metric', async () => {
    const gate = await aftershock(['gate', '--baseline', join(baselineDir, 'summary.json'), slowerDir, '--tolerance', '10%']);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toMatch(/recovery\.t100\s+\S+\s+\S+\s+\+\d+%\s+✗ REGRESSED/);
    expect(gate.stdout).toMatch(/FAILED: .*recovery\.t100.* got worse by more than 10%/);
    expect(gate.stdout).toContain('note: scenario differs: baseline "gate-baseline", current "gate-slower"');
  });

  test('`gate` on bad input exits 2 with one line', async () => {
    const missing = await aftershock(['gate', '--baseline', join(dir, 'nope.json'), slowerDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`aftershock: error: baseline ${join(dir, 'nope.json')} does not exist; give a summary.json or a run folder`);
    const notSummary = await aftershock(['gate', '--baseline', join(baselineDir, 'scenario.json'), slowerDir]);
    expect(notSummary.code).toBe(2);
    expect(notSummary.stderr.trim()).toMatch(/^aftershock: error: baseline .*scenario\.json is not an aftershock run summary/);
  });

  test('`compare` writes one page with both runs and a table of differences', async () => {
    const out = join(dir, 'compare.html');
    const result = await aftershock(['compare', baselineDir, slowerDir, '--out', out]);
    expect(result.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('A: baseline · B: slower');
    expect(html).toMatch(/<tr data-metric="recovery\.t100">/);
  });

  test('`compare` without --out writes into a timestamped folder under runs/, nothing in the current folder', async () => {
    const cwd = join(dir, 'compare-cwd');
    mkdirSync(cwd);
    const result = await aftershock(['compare', baselineDir, slowerDir], { cwd });
    expect(result.code).toBe(0);
    expect(readdirSync(cwd)).toEqual(['runs']);
    const [folder] = readdirSync(join(cwd, 'runs'));
    expect(folder).toMatch(/^compare-baseline-vs-slower-\d{8}-\d{6}$/);
    expect(readdirSync(join(cwd, 'runs', folder))).toEqual(['compare.html']);
    expect(result.stdout).toContain(join(cwd, 'runs', folder, 'compare.html'));
    // A folder given with --out is made if missing.
    const nested = join(dir, 'compare-out', 'deeper');
    expect((await aftershock(['compare', baselineDir, slowerDir, '--out', nested])).code).toBe(0);
    expect(existsSync(join(nested, 'compare.html'))).toBe(true);
  });

  test('`report` rebuilds the same summary and reports from the event stream', async () => {
    const copy = join(dir, 'rebuilt');
    mkdirSync(copy);
    for (const file of ['events.ndjson', 'scenario.json', 'summary.json']) copyFileSync(join(baselineDir, file), join(copy, file));
    const result = await aftershock(['report', copy]);
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(join(copy, 'summary.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(baselineDir, 'summary.json'), 'utf8')));
    expect(readFileSync(join(copy, 'junit.xml'), 'utf8')).toBe(readFileSync(join(baselineDir, 'junit.xml'), 'utf8').replaceAll(baselineDir, copy));
  });

  test('`report` on a run that crashed half-way: partial, said so in every report', async () => {
    const crashed = join(dir, 'crashed');
    mkdirSync(crashed);
    copyFileSync(join(baselineDir, 'scenario.json'), join(crashed, 'scenario.json'));
    const events = readFileSync(join(baselineDir, 'events.ndjson'), 'utf8');
    // Cut halfway, 10 characters into a line, as a SIGKILL mid-write would.
    const lineStart = events.indexOf('\n', Math.floor(events.length / 2)) + 1;
    writeFileSync(join(crashed, 'events.ndjson'), events.slice(0, lineStart + 10));
    const result = await aftershock(['report', crashed]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/note: Partial run/);
    expect(result.stdout).toMatch(/note: 1 line of events\.ndjson could not be read and was skipped/);
    expect(result.stdout).toMatch(/verdict\s+incomplete/);
    const summary = loadSummary(crashed);
    expect(summary.outcome).toBe('partial');
    expect(readFileSync(join(crashed, 'report.html'), 'utf8')).toMatch(/data-verdict="incomplete".*Partial run: the event stream ends without a run-end event/s);
    const xml = parseXml(join(crashed, 'junit.xml'));
    expect(asArray(xml.testsuites.testsuite).map((s: { tests: string }) => s.tests)).toEqual(['3', '1']);
    expect(readFileSync(join(crashed, 'summary.md'), 'utf8')).toMatch(/⚠️ incomplete/);
  });
});
