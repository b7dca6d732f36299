import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, test } from 'vitest';
import { renderRunReport } from '../../reports/html/html-report.ts';
import { runCharts } from '../../reports/html/run-charts.ts';
import { formatSummary } from '../../reports/console-summary.ts';
import { renderJunit } from '../../reports/junit-report.ts';
import { renderMarkdown } from '../../reports/markdown-report.ts';
import type { RunSummary } from '../../reports/run-collector.ts';
import { evaluateThresholds } from '../../reports/thresholds/evaluate-thresholds.ts';
import { parseThresholds } from '../../reports/thresholds/threshold.ts';
import { writeRunReports } from '../../reports/write-reports.ts';
import { syntheticSummary } from './summary-fixture.ts';

function withThresholds(summary: RunSummary, input: Record<string, string[]>): RunSummary {
  return { ...summary, thresholds: evaluateThresholds(parseThresholds(input).thresholds, summary) };
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

describe('JUnit XML', () => {
  const summary = withThresholds(syntheticSummary(10), { 'recovery.t100': ['<5s'], 'recovery.t50': ['<1m'], 'attempts.peak_per_s': ['<=800'] });
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(renderJunit(summary, { notes: [] }));

  test('one test case per threshold (the default included), failures counted', () => {
    const suite = parsed.testsuites.testsuite;
    const cases = asArray(suite.testcase);
    expect(cases.map((c: { name: string }) => c.name)).toEqual(['recovery.t100 <5s', 'recovery.t50 <1m', 'attempts.peak_per_s <=800', 'devices.never_returned ==0']);
    expect(suite.tests).toBe('4');
    expect(suite.failures).toBe('1');
    expect(parsed.testsuites.failures).toBe('1');
  });

  test('the failing case says which metric, its limit and its value', () => {
    const failing = asArray(parsed.testsuites.testsuite.testcase).find((c: { failure?: unknown }) => c.failure) as { failure: { message: string; '#text': string } };
    expect(failing.failure.message).toBe('recovery.t100 is 10s, limit <5s');
    expect(failing.failure['#text']).toMatch(/metric: recovery\.t100\nlimit: <5s\nvalue: 10s/);
  });

  test('an unfinished run adds one error case in its own suite; the threshold suite keeps its count', () => {
    const partial = withThresholds(syntheticSummary(10, { end: false }), { 'recovery.t50': ['<1m'] });
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(renderJunit(partial, { notes: [] }));
    const suites = asArray(xml.testsuites.testsuite) as { tests: string; testcase: { error?: { message: string } } }[];
    expect(suites.map((s) => s.tests)).toEqual(['2', '1']);
    expect(suites[1].testcase.error!.message).toMatch(/^Partial run/);
  });

  test('names are escaped', () => {
    const odd = withThresholds({ ...syntheticSummary(3), scenario: 'a<b&"c"' }, { 'recovery.t50': ['<1m'] });
    const xml = renderJunit(odd, { notes: [] });
    expect(() => new XMLParser({ ignoreAttributes: false }).parse(xml)).not.toThrow();
    expect(xml).toContain('classname="aftershock.a&lt;b&amp;&quot;c&quot;"');
  });
});

describe('Markdown summary', () => {
  test('verdict, headline figures and every threshold', () => {
    const md = renderMarkdown(withThresholds(syntheticSummary(10), { 'recovery.t100': ['<5s'] }), { notes: [], runDir: '/runs/x' });
    expect(md).toMatch(/^### aftershock: synthetic: ❌ failed\n/);
    expect(md).toContain('| back after restore | t50 5s · t90 9s · t99 10s · t100 10s |');
    expect(md).toContain('| `recovery.t100` | `<5s` | 10s | ❌ fail |');
    expect(md).toContain('| `devices.never_returned` (default) | `==0` | 0 | ✅ pass |');
    expect(md).toContain('/runs/x/report.html');
  });
});

describe('writing every report', () => {
  test('report.html, junit.xml and summary.md in the run folder, and the Markdown appended to $GITHUB_STEP_SUMMARY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aftershock-reports-'));
    const stepSummary = join(dir, 'step-summary.md');
    writeFileSync(stepSummary, 'earlier step\n');
    const summary = withThresholds(syntheticSummary(10), { 'recovery.t50': ['<1m'] });
    const written = writeRunReports(dir, summary, { env: { GITHUB_STEP_SUMMARY: stepSummary } });
    expect(Object.keys(written.files).sort()).toEqual(['html', 'junit', 'markdown']);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/✅ passed/);
    expect(readFileSync(stepSummary, 'utf8')).toBe(`earlier step\n${readFileSync(join(dir, 'summary.md'), 'utf8')}\n`);
    expect(writeRunReports(dir, summary, { env: {} }).stepSummary).toBeUndefined();
  });
});

describe('HTML report (without a browser)', () => {
  const summary = withThresholds(syntheticSummary(10), { 'recovery.t50': ['<1m'] });
  const html = renderRunReport(summary, { notes: [] });

  test('self-contained: uPlot and the data inline, nothing loaded from elsewhere', () => {
    expect(html).toContain('var uPlot');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    // The only URL is in uPlot's licence comment.
    expect(html.replaceAll('https://github.com/leeoniya/uPlot', '')).not.toMatch(/https?:\/\/|url\(/);
  });

  test('header: verdict, scenario, seed, time scale, devices, versions, thresholds', () => {
    expect(html).toContain('data-verdict="passed"');
    for (const text of ['synthetic', '&quot;fixture&quot;', 'aftershock 0.0.0-test', 'recovery.t50']) expect(html).toContain(text);
    expect(html).toMatch(/<th>time scale<\/th><td>60 /);
  });

  test('a partial run says so', () => {
    const partial = renderRunReport(syntheticSummary(10, { end: false }), { notes: ['1 line of events.ndjson could not be read'] });
    expect(partial).toContain('data-verdict="incomplete"');
    expect(partial).toMatch(/id="report-notes"><p>Partial run: the event stream ends without a run-end event/);
    expect(partial).toContain('1 line of events.ndjson could not be read');
  });

  test("a plan whose busiest second is beyond the machine: the note in the chart's caption and on the console line", () => {
    const beyondMachine = "the plan's busiest second after the restore has 136 attempts, 2,720 per real second at time scale 20, beyond the ~2,000 this machine connects";
    const plan = { maxDeviationPct: 8.9, maxDeviationDevices: 445, atMs: 20_000, fromMs: 10_000, comparedFromMs: 10_000, noticeLagMs: 0, predictedOnline: [0, 0, 5], beyondMachine };
    const withPlan = { ...summary, plan } as unknown as RunSummary;
    const online = runCharts(withPlan).flatMap((s) => (s.kind === 'chart' && s.spec.id === 'online' ? [s.spec] : []))[0];
    expect(online.caption).toContain(`within 8.9% of the fleet at every second). Note: ${beyondMachine}.`);
    expect(formatSummary(withPlan, '/tmp/run')).toContain(`within 8.9% of the fleet (445 devices) at every second from the fault on; worst at 20s (${beyondMachine})`);
    const { beyondMachine: _none, ...quiet } = plan;
    expect(runCharts({ ...summary, plan: quiet } as unknown as RunSummary).flatMap((s) => (s.kind === 'chart' && s.spec.id === 'online' ? [s.spec.caption] : []))[0]).not.toContain('Note:');
  });

  test('chaos bands on every scenario-time chart, the planner curve when the summary has one, API latency marked as not measured', () => {
    const slots = runCharts({ ...summary, model: { predictedOnline: summary.series.map((p) => p.online) } } as RunSummary);
    const charts = slots.flatMap((s) => (s.kind === 'chart' ? [s.spec] : []));
    expect(charts.map((c) => c.id)).toEqual(['online', 'attempts', 'recovery-cdf', 'handshake', 'backend-cpu', 'backend-memory', 'backend-loop']);
    for (const chart of charts.filter((c) => c.xAxis === 'scenario-time')) {
      expect(chart.bands.filter((b) => b.kind === 'chaos')).toEqual([expect.objectContaining({ fromS: 10, toS: 70, label: 'kill: SIGKILL the backend (pid 1)' })]);
      expect(chart.x[0]).toBe(0);
      expect(chart.x.at(-1)).toBe(summary.durationMs / 1000);
    }
    expect(charts[0].series.map((s) => s.label)).toEqual(['online (measured)', 'online (replay)']);
    expect(slots.find((s) => s.kind === 'missing')).toMatchObject({ missing: { id: 'api-latency' } });
  });

  test('failures are stacked by cause: the legend shows the count, the area the running total', () => {
    const attempts = runCharts(summary).flatMap((s) => (s.kind === 'chart' && s.spec.id === 'attempts' ? [s.spec] : []))[0];
    const refused = attempts.series.find((s) => s.label === 'failed: refused')!;
    const at20s = attempts.x.indexOf(20);
    expect(refused.legendValues![at20s]).toBe(10);
    expect(refused.values[at20s]).toBe(10);
  });
});
