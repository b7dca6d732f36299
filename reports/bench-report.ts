import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRunReport } from './html/html-report.ts';
import { replayEvents } from './replay-events.ts';
import { RunCollector } from './run-collector.ts';
import type { RunEvent } from './run-events.ts';
import { evaluateThresholds } from './thresholds/evaluate-thresholds.ts';
import { parseThresholds } from './thresholds/threshold.ts';
import { writeRunReports } from './write-reports.ts';

/**
 * How long the reports of a 100,000-device run take and how big the HTML
 * is: `npm run bench:report [DEVICES]`. The events are synthetic but shaped
 * like a hard-kill run (boot over 30 s, kill, refused retries on the seed
 * policy's waits for 2 minutes, restore, returns), so the fold and the
 * charts see the same volume and spread a real run gives. Prints figures;
 * asserts nothing (timings belong in a closing note, not in tests).
 */
const devices = Number(process.argv[2] ?? 100_000);
const timeScale = 20;
const rampUpMs = 30_000;
const killAt = 60_000;
const restoreAt = killAt + 120_000;

/** mulberry32: a tiny seeded generator, so every bench run has the same events. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticRun(): RunEvent[] {
  const random = rng(42);
  const events: RunEvent[] = [
    { type: 'run-start', t: 0, scenario: 'bench-hard-kill', seed: 42, timeScale, devices, startedAt: new Date().toISOString(), versions: { aftershock: 'bench', node: process.versions.node }, policy: { kind: 'seed', firstWaitMaxMs: 60_000, baseMs: 10_000, factor: 2, capMs: 360_000, jitter: 0 } },
    { type: 'chaos', t: killAt, kind: 'kill', action: 'inject', index: 0, detail: 'SIGKILL the backend (synthetic)' },
    { type: 'chaos', t: restoreAt, kind: 'kill', action: 'undo', index: 0 },
  ];
  let end = restoreAt;
  for (let d = 0; d < devices; d++) {
    const boot = random() * rampUpMs;
    events.push({ type: 'attempt', t: boot, device: d, attempt: 0 }, { type: 'online', t: boot + 50, device: d, attempt: 0, handshakeMs: 2 + random() * 40 });
    events.push({ type: 'lost', t: killAt, device: d, cause: 'close' });
    let t = killAt;
    let delay = random() * 60_000;
    for (let attempt = 1; ; attempt++) {
      events.push({ type: 'wait', t, device: d, attempt, delayMs: delay });
      t += delay;
      events.push({ type: 'attempt', t, device: d, attempt });
      if (t < restoreAt) {
        events.push({ type: 'failure', t: t + 5, device: d, attempt, cause: 'refused' });
        t += 5;
        delay = Math.min(360_000, Math.max(10_000, delay * 2));
        continue;
      }
      // A storm at the restore: the first seconds are slow, some time out once.
      const congested = t - restoreAt < 20_000 && random() < 0.2;
      if (congested) {
        events.push({ type: 'failure', t: t + 10_000, device: d, attempt, cause: 'handshake-timeout' });
        t += 10_000;
        delay = Math.min(360_000, Math.max(10_000, delay * 2));
        continue;
      }
      const handshakeMs = 5 + random() * (t - restoreAt < 60_000 ? 800 : 60);
      events.push({ type: 'online', t: t + handshakeMs * timeScale, device: d, attempt, handshakeMs });
      end = Math.max(end, t + handshakeMs * timeScale);
      break;
    }
  }
  for (let t = 0; t < end; t += 10_000) {
    const down = t >= killAt && t < restoreAt;
    events.push(
      down
        ? { type: 'backend', t, reachable: false }
        : { type: 'backend', t, reachable: true, devicesOnline: 0, cpuPercent: 20 + random() * 60, rssMB: 300 + random() * 200, heapUsedMB: 150, eventLoopDelayP99Ms: 5 + random() * 50, eventLoopDelayMaxMs: 20 + random() * 100 },
    );
  }
  events.sort((a, b) => a.t - b.t);
  events.push({ type: 'run-end', t: end + 10_000, outcome: 'recovered' });
  return events;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(2)} MB`;

let t0 = performance.now();
const events = syntheticRun();
console.log(`${devices.toLocaleString('en')} devices: ${events.length.toLocaleString('en')} synthetic events (${seconds(performance.now() - t0)} to make)`);

t0 = performance.now();
const collector = new RunCollector();
for (const event of events) collector.add(event);
const summary = collector.summary();
const thresholds = parseThresholds({ 'recovery.t99': ['<6m'], 'attempts.peak_per_s': ['<20000'], 'devices.never_returned': ['==0'] }).thresholds;
summary.thresholds = evaluateThresholds(thresholds, summary);
console.log(`fold into the summary (in memory):           ${seconds(performance.now() - t0)}  (summary.json ${mb(JSON.stringify(summary).length)}, ${summary.series.length} seconds, CDF ${summary.recoveryCdf?.ms.length} points)`);

t0 = performance.now();
const html = renderRunReport(summary, { notes: [] });
console.log(`render report.html from the summary:         ${seconds(performance.now() - t0)}  (${mb(Buffer.byteLength(html))})`);

// End to end, as `aftershock report` does it: events.ndjson on disk -> every report file.
const dir = mkdtempSync(join(tmpdir(), 'aftershock-bench-'));
try {
  const out = createWriteStream(join(dir, 'events.ndjson'));
  for (let i = 0; i < events.length; i += 10_000) {
    if (!out.write(events.slice(i, i + 10_000).map((e) => JSON.stringify(e)).join('\n') + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const ndjsonBytes = statSync(join(dir, 'events.ndjson')).size;
  t0 = performance.now();
  const replayed = await replayEvents(join(dir, 'events.ndjson'));
  replayed.summary.thresholds = evaluateThresholds(thresholds, replayed.summary);
  const written = writeRunReports(dir, replayed.summary, { env: {} });
  console.log(`events.ndjson (${mb(ndjsonBytes)}) -> all reports: ${seconds(performance.now() - t0)}  (report.html ${mb(statSync(written.files.html).size)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
