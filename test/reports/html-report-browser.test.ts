import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { aftershock, smallScenario, writeScenario } from './real-run.ts';

/**
 * Opens real reports in the system's headless Chromium (Debian's `chromium`
 * package; playwright-core never downloads a browser). In CI (CI=true) a
 * missing Chromium fails the tests; on a dev machine they are skipped with a
 * note saying how to enable them.
 */
const chromiumPath = process.env.AFTERSHOCK_CHROMIUM ?? '/usr/bin/chromium';
const inCi = !!process.env.CI && !['false', '0'].includes(process.env.CI.toLowerCase());
const hasChromium = existsSync(chromiumPath);
if (!hasChromium && !inCi) {
  console.warn(`skipping the browser tests of the HTML report: no Chromium at ${chromiumPath}; install it (apt-get install -y chromium) or set AFTERSHOCK_CHROMIUM=/path/to/chromium`);
}

interface ChartCheck {
  id: string;
  drawn: boolean;
  points: number;
  /** Canvas pixels in one of the series' colours. */
  coloured: number;
  chaosBands: { label: string; widthPx: number }[];
}

/**
 * Runs in the page (plain JavaScript: the project's TypeScript has no DOM
 * types). For each chart: uPlot's draw hook fired, its data points, canvas
 * pixels in one of its series' colours, and its visible chaos bands.
 */
const chartChecksInPage = `(() => {
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return window.aftershockReport.charts.map((chart) => {
    const box = document.querySelector('[data-chart-id="' + chart.id + '"]');
    const canvas = box.querySelector('canvas');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const colours = chart.colors.map(rgb);
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] < 200) continue;
      if (colours.some(([r, g, b]) => Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60)) coloured++;
    }
    const chaosBands = [...box.querySelectorAll('.band-chaos')]
      .filter((el) => el.style.display !== 'none')
      .map((el) => ({ label: el.textContent || '', widthPx: el.getBoundingClientRect().width }));
    return { id: chart.id, drawn: chart.drawn, points: chart.points, coloured, chaosBands };
  });
})()`;

async function checkCharts(page: Page): Promise<ChartCheck[]> {
  await page.waitForFunction('window.aftershockReport !== undefined && window.aftershockReport.charts.length > 0 && window.aftershockReport.charts.every((c) => c.drawn)', undefined, { timeout: 15_000 });
  return (await page.evaluate(chartChecksInPage)) as ChartCheck[];
}

test.runIf(inCi && !hasChromium)('Chromium is installed (CI runs the browser test of the HTML report)', () => {
  throw new Error(`CI=true and no Chromium at ${chromiumPath}: the browser test cannot run; install it in .ci/run (apt-get install -y chromium)`);
});

describe.runIf(hasChromium)('the HTML report of a real run in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-browser-'));
  const runDir = join(dir, 'run');
  const userDataDir = mkdtempSync(join(tmpdir(), 'aftershock-chromium-'));
  let context: BrowserContext;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    const run = await aftershock(['run', writeScenario(dir, smallScenario('browser-report', { thresholds: { 'recovery.t100': ['<10m'] } })), '--out', runDir, '--quiet']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const compare = await aftershock(['compare', runDir, runDir, '--out', join(runDir, 'compare.html')]);
    expect(compare.code).toBe(0);
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  async function open(file: string): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${file}: console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${file}: page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(join(runDir, file)).href);
    return page;
  }

  test('every chart has drawn data, chaos bands are on every time axis, no errors, no network; screenshot saved', async () => {
    const page = await open('report.html');
    const charts = await checkCharts(page);
    expect(charts.map((c) => c.id)).toEqual(['online', 'attempts', 'recovery-cdf', 'handshake', 'backend-cpu', 'backend-memory', 'backend-loop']);
    for (const chart of charts) {
      expect(chart.drawn, chart.id).toBe(true);
      expect(chart.points, chart.id).toBeGreaterThan(0);
      // A drawn line of any length covers well over 30 pixels in its colour.
      expect(chart.coloured, chart.id).toBeGreaterThan(30);
      if (chart.id === 'recovery-cdf') continue; // its axis is time since the restore, not scenario time
      expect(chart.chaosBands, chart.id).toHaveLength(1);
      expect(chart.chaosBands[0].label, chart.id).toMatch(/^kill: SIGKILL the backend/);
      expect(chart.chaosBands[0].widthPx, chart.id).toBeGreaterThan(5);
    }
    expect(await page.locator('[data-missing-chart="api-latency"]').textContent()).toMatch(/Not measured in this run/);
    expect(await page.locator('tr[data-threshold="recovery.t100"]').getAttribute('data-passed')).toBe('true');
    expect(await page.evaluate('window.aftershockReport.errors')).toEqual([]);
    const screenshot = join(runDir, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(50_000);
    console.log(`report screenshot: ${screenshot}`);
    expect(problems).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
  });

  test('the comparison page draws both runs on every chart', async () => {
    const page = await open('compare.html');
    const charts = await checkCharts(page);
    expect(charts.map((c) => c.id)).toEqual(['online', 'attempts', 'failures', 'recovery-cdf', 'handshake', 'backend-cpu', 'backend-memory', 'backend-loop']);
    for (const chart of charts) {
      expect(chart.coloured, chart.id).toBeGreaterThan(30);
      if (chart.id !== 'recovery-cdf') expect(chart.chaosBands.map((b) => b.label.slice(0, 8)), chart.id).toEqual(['A: kill:', 'B: kill:']);
    }
    await page.screenshot({ path: join(runDir, 'compare.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
  });
});
