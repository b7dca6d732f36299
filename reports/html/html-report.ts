import { describePeaks } from '../run-phases.ts';
import type { ReportContext, Reporter } from '../reporter.ts';
import type { RunSummary } from '../run-collector.ts';
import { describeResult } from '../thresholds/evaluate-thresholds.ts';
import { incompleteReason, thresholdResultsOf, verdictOf, type Verdict } from '../verdict.ts';
import type { ChartSpec } from './chart-spec.ts';
import { chartBoxes, describePolicy, esc, factsTable, ms, numberFormat, renderPage } from './page.ts';
import { runCharts } from './run-charts.ts';


/** Headline of each verdict; a forgotten verdict is a compile error. */
export const verdictHeadlines: Record<Verdict, string> = {
  passed: 'every threshold held',
  failed: 'a threshold failed',
  incomplete: 'the run did not finish',
};

const causes = (record: Record<string, number>): string =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([cause, n]) => `${esc(cause)} ${numberFormat(n)}`)
    .join(', ') || 'none';

export function verdictPill(verdict: Verdict): string {
  return `<span class="pill pill-${verdict}" data-verdict="${verdict}">${verdict}</span>`;
}

function thresholdsTable(summary: RunSummary): string {
  const results = thresholdResultsOf(summary);
  const rows = results
    .map(
      (r) =>
        `<tr data-threshold="${esc(r.metric)}" data-passed="${r.passed}"><td><code>${esc(r.metric)}</code>${r.source === 'default' ? ' <span class="muted">(default)</span>' : ''}</td><td><code>${esc(r.condition)}</code></td><td class="num">${esc(r.shown)}</td><td class="${r.passed ? 'ok' : 'bad'}" title="${esc(describeResult(r))}">${r.passed ? '✓ pass' : '✗ fail'}</td></tr>`,
    )
    .join('');
  const declared = results.some((r) => r.source === 'scenario');
  return `<section class="card" id="thresholds"><h2>Thresholds</h2>
<table><thead><tr><th>metric</th><th>condition</th><th>value</th><th>result</th></tr></thead><tbody>${rows}</tbody></table>
${declared ? '' : '<p class="muted">The scenario declares no thresholds; every run is held to the default (every device comes back).</p>'}</section>`;
}

function chaosTable(summary: RunSummary): string {
  if (summary.chaos.length === 0) return '<section class="card"><h2>Chaos timeline</h2><p class="muted">No chaos in this run.</p></section>';
  const rows = summary.chaos.map((c) => `<tr><td class="num">${ms(c.t)}</td><td>${esc(c.kind)}</td><td>${esc(c.action)}</td><td>${esc(c.detail ?? '')}</td></tr>`).join('');
  return `<section class="card"><h2>Chaos timeline</h2><table><thead><tr><th>scenario time</th><th>kind</th><th>action</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** The run's facts and headline figures as HTML sections (shared with nothing else: a comparison has its own table). */
function headerSections(summary: RunSummary, verdict: Verdict, context: ReportContext): string {
  const r = summary.recovery;
  const never = (v: number | null): string => ms(v, summary.restoredAtMs === null ? '–' : 'never');
  const b = summary.backend;
  const run: [string, string][] = [
    ['verdict', `${verdictPill(verdict)} ${esc(verdictHeadlines[verdict])}`],
    ['scenario', esc(summary.scenario)],
    ['seed', `<code>${esc(JSON.stringify(summary.seed))}</code>`],
    ['time scale', `${esc(summary.timeScale)} <span class="muted">(times are scenario time: real time × ${esc(summary.timeScale)})</span>`],
    ['devices', `${numberFormat(summary.devices)} <span class="muted">(${numberFormat(summary.devicesOnlineAtEnd)} online at the end)</span>`],
    ['policy', esc(describePolicy(summary.policy))],
    ['outcome', esc(summary.outcome) + (summary.outcomeMessage ? ` <span class="muted">(${esc(summary.outcomeMessage)})</span>` : '')],
    ['started', esc(summary.startedAt)],
    ['recorded', `${ms(summary.durationMs)} of scenario time`],
    ['versions', Object.entries(summary.versions).map(([k, v]) => `${esc(k)} ${esc(v)}`).join(', ')],
  ];
  const results: [string, string][] = [
    ['fault at / restored at', `${ms(summary.faultAtMs)} / ${ms(summary.restoredAtMs)}`],
    ['back after restore', `t50 <b>${never(r.t50)}</b>, t90 <b>${never(r.t90)}</b>, t99 <b>${never(r.t99)}</b>, t100 <b>${never(r.t100)}</b>`],
    ['never came back', summary.neverReturned.count === 0 ? '0' : `<span class="bad">${numberFormat(summary.neverReturned.count)}</span>`],
    ['attempts', `${numberFormat(summary.attempts.total)}; peak per second: ${esc(describePeaks(summary.phases, numberFormat, ms))}`],
    ['failed attempts', `${numberFormat(summary.failures.total)} <span class="muted">(${causes(summary.failures.byCause)})</span>`],
    ['lost connections', `${numberFormat(summary.lost.total)} <span class="muted">(${causes(summary.lost.byCause)})</span>`],
    ['handshake (real ms)', summary.handshakeMs.count ? `p50 ${summary.handshakeMs.p50}, p90 ${summary.handshakeMs.p90}, p99 ${summary.handshakeMs.p99}, max ${summary.handshakeMs.max}` : '–'],
    [
      'backend peaks',
      b.peakCpuPercent === null ? 'no metrics' : `CPU ${b.peakCpuPercent}%, RSS ${b.peakRssMB} MB, event-loop delay ${b.peakEventLoopDelayMs} ms; ${b.unreachableSamples} polls unanswered`,
    ],
    ['early retries', `${summary.verification.earlyAttempts} <span class="muted">(harness self-check: attempts before the policy's wait)</span>`],
  ];
  const reason = incompleteReason(summary);
  const notes = [...(reason ? [reason] : []), ...context.notes];
  return `<header>
<h1>aftershock report <span class="sub">${esc(summary.scenario)}</span> ${verdictPill(verdict)}</h1>
${notes.length > 0 ? `<div class="banner" id="report-notes">${notes.map((n) => `<p>${esc(n)}</p>`).join('')}</div>` : ''}
</header>
<div class="grid summary-grid">
<section class="card"><h2>Run</h2>${factsTable(run)}</section>
<section class="card"><h2>Results</h2>${factsTable(results)}</section>
</div>
${thresholdsTable(summary)}
${chaosTable(summary)}`;
}

/**
 * One run's report: a self-contained HTML page (uPlot and the data inlined,
 * no network) with the header tables and every chart. Pure: same summary,
 * same page.
 */
export function renderRunReport(summary: RunSummary, context: ReportContext = { notes: [] }): string {
  const verdict = verdictOf(summary);
  const slots = runCharts(summary);
  const charts: ChartSpec[] = slots.flatMap((s) => (s.kind === 'chart' ? [s.spec] : []));
  const body = `${headerSections(summary, verdict, context)}
${chartBoxes(slots)}
<footer>Generated by aftershock ${esc(summary.versions.aftershock ?? '')} from the run's events${context.runDir ? ` in <code>${esc(context.runDir)}</code>` : ''}. Chaos events are shaded on every time axis; drag on a chart to zoom, double-click to reset; the cursor is shared across time charts.</footer>`;
  return renderPage({ title: `aftershock: ${summary.scenario} (${verdict})`, body, charts });
}

export const htmlReporter: Reporter = { fileName: 'report.html', render: renderRunReport };
