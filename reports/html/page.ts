import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatDuration } from '../../scenarios/duration.ts';
import type { ChartSlot, ChartSpec } from './chart-spec.ts';

/** Escapes text for HTML content and attribute values. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Scenario ms for people; null is `whenNull`. */
export function ms(value: number | null | undefined, whenNull = '–'): string {
  return value === null || value === undefined ? whenNull : formatDuration(value);
}

/** A policy's parameters in one line: `seed: firstWaitMax 1m, base 10s, factor 2, cap 6m, jitter 0`. */
export function describePolicy(policy: Record<string, unknown>): string {
  const { kind, ...params } = policy;
  const parts = Object.entries(params).map(([key, value]) =>
    key.endsWith('Ms') && typeof value === 'number' ? `${key.slice(0, -2)} ${formatDuration(value)}` : `${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
  );
  return `${String(kind)}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

export const numberFormat = (n: number): string => n.toLocaleString('en');

/** Rows of a two-column table; values are HTML already. */
export function factsTable(rows: [string, string][]): string {
  return `<table class="facts">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

interface Assets {
  uplotJs: string;
  uplotCss: string;
  clientJs: string;
  css: string;
}
let assets: Assets | undefined;

/** uPlot and the page's own script and style, read once and inlined so a report opens offline. */
function loadAssets(): Assets {
  if (assets) return assets;
  const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  const here = new URL('./assets/', import.meta.url);
  assets = {
    uplotJs: readFileSync(join(uplotDir, 'uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(join(uplotDir, 'uPlot.min.css'), 'utf8'),
    clientJs: readFileSync(new URL('report-client.js', here), 'utf8'),
    css: readFileSync(new URL('report.css', here), 'utf8'),
  };
  return assets;
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The boxes the page script draws into, or a note where the run measured nothing to draw. */
export function chartBoxes(slots: ChartSlot[]): string {
  return slots
    .map((slot) =>
      slot.kind === 'chart'
        ? `<section class="card chart" data-chart-id="${esc(slot.spec.id)}"><h2>${esc(slot.spec.title)}</h2><p class="caption">${esc(slot.spec.caption)}</p><div class="chart-canvas"></div></section>`
        : `<section class="card chart missing" data-missing-chart="${esc(slot.missing.id)}"><h2>${esc(slot.missing.title)}</h2><p class="caption">${esc(slot.missing.reason)}</p></section>`,
    )
    .join('\n');
}

/** A whole self-contained page: inline style, inline uPlot, the chart data as JSON, the script that draws it. */
export function renderPage(options: { title: string; body: string; charts: ChartSpec[] }): string {
  const a = loadAssets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(options.title)}</title>
<style>${a.uplotCss}</style>
<style>${a.css}</style>
</head>
<body>
<main>
${options.body}
</main>
<script type="application/json" id="aftershock-data">${scriptJson({ charts: options.charts })}</script>
<script>${a.uplotJs}</script>
<script>${a.clientJs}</script>
</body>
</html>
`;
}
