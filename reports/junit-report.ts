import type { ReportContext, Reporter } from './reporter.ts';
import type { RunSummary } from './run-collector.ts';
import { describeResult } from './thresholds/evaluate-thresholds.ts';
import { incompleteReason, thresholdResultsOf, verdictOf } from './verdict.ts';

/** Escapes text for XML content and attributes, dropping characters XML 1.0 cannot hold. */
export function xml(text: unknown): string {
  return String(text)
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * JUnit XML for CI: one test case per threshold (named by metric and
 * condition; a failure says the metric, its limit and its value), and, when
 * the run did not finish, a second suite whose one case is an error saying so.
 */
export function renderJunit(summary: RunSummary, context: ReportContext = { notes: [] }): string {
  const results = thresholdResultsOf(summary);
  const failures = results.filter((r) => !r.passed).length;
  const realSeconds = (summary.durationMs / summary.timeScale / 1000).toFixed(3);
  const classname = `aftershock.${summary.scenario}`;
  const properties = {
    scenario: summary.scenario,
    seed: String(summary.seed),
    timeScale: String(summary.timeScale),
    devices: String(summary.devices),
    outcome: summary.outcome,
    verdict: verdictOf(summary),
    ...(context.runDir ? { runDir: context.runDir } : {}),
  };
  const cases = results.map((r) => {
    const name = `${r.metric} ${r.condition}`;
    if (r.passed) return `    <testcase classname="${xml(classname)}" name="${xml(name)}" time="0"/>`;
    const body = [`metric: ${r.metric}`, `limit: ${r.condition}`, `value: ${r.shown}`, `source: ${r.source === 'default' ? 'default threshold (every device comes back)' : 'scenario'}`].join('\n');
    return `    <testcase classname="${xml(classname)}" name="${xml(name)}" time="0">
      <failure message="${xml(describeResult(r))}" type="ThresholdFailed">${xml(body)}</failure>
    </testcase>`;
  });
  const reason = incompleteReason(summary);
  const suites = [
    `  <testsuite name="${xml(`thresholds: ${summary.scenario}`)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${realSeconds}" timestamp="${xml(summary.startedAt)}">
    <properties>
${Object.entries(properties)
  .map(([k, v]) => `      <property name="${xml(k)}" value="${xml(v)}"/>`)
  .join('\n')}
    </properties>
${cases.join('\n')}
  </testsuite>`,
  ];
  if (reason) {
    suites.push(`  <testsuite name="${xml(`run: ${summary.scenario}`)}" tests="1" failures="0" errors="1" skipped="0" time="${realSeconds}" timestamp="${xml(summary.startedAt)}">
    <testcase classname="${xml(classname)}" name="run completed" time="${realSeconds}">
      <error message="${xml(reason)}" type="RunIncomplete">${xml([reason, ...context.notes].join('\n'))}</error>
    </testcase>
  </testsuite>`);
  }
  const totalTests = results.length + (reason ? 1 : 0);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="aftershock" tests="${totalTests}" failures="${failures}" errors="${reason ? 1 : 0}" time="${realSeconds}">
${suites.join('\n')}
</testsuites>
`;
}

export const junitReporter: Reporter = { fileName: 'junit.xml', render: renderJunit };
