import { mkdtempSync } from 'node:fs';
import { tcpConnects } from '../../scenarios/targets/tcp-connects.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { cpuHogInjector } from '../../chaos/cpu-hog-injector.ts';
import type { InjectorContext } from '../../chaos/injector.ts';
import { processFreezeInjector } from '../../chaos/process-freeze-injector.ts';
import { processKillInjector } from '../../chaos/process-kill-injector.ts';
import { processStopInjector } from '../../chaos/process-stop-injector.ts';
import { playChaosTimeline } from '../../chaos/play-chaos-timeline.ts';
import type { RunEvent } from '../../reports/run-events.ts';
import { ChaosWatchdog } from '../../chaos/watchdog/chaos-watchdog.ts';
import { referenceTarget } from '../../scenarios/targets/reference-target.ts';
import type { StartedTarget } from '../../scenarios/targets/target.ts';

/** One device handshake: resolves with 'welcome', an 'http NNN' rejection, or 'timeout'. */
function handshake(wsBaseUrl: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${wsBaseUrl}/devices`);
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (result: string): void => {
      clearTimeout(timer);
      socket.terminate();
      resolve(result);
    };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'hello', deviceId: 'd-probe', token: 't' })));
    socket.on('message', (data) => finish(JSON.parse(data.toString()).type));
    socket.on('unexpected-response', (_req, res) => finish(`http ${res.statusCode}`));
    socket.on('error', (error) => finish(`error ${(error as NodeJS.ErrnoException).code ?? error.message}`));
  });
}

async function healthz(httpBaseUrl: string, timeoutMs: number): Promise<string> {
  try {
    const response = await fetch(`${httpBaseUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    return `http ${response.status}`;
  } catch {
    return 'timeout';
  }
}

describe('process chaos on a real reference backend (time scale 1)', () => {
  let target: StartedTarget;
  let watchdog: ChaosWatchdog;
  let context: InjectorContext;
  const notes: string[] = [];

  beforeEach(async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'aftershock-chaos-'));
    target = await referenceTarget({ kind: 'reference', heartbeatInterval: 30_000 }).start({ runDir, timeScale: 1 });
    watchdog = await ChaosWatchdog.start(runDir);
    await target.process!.guardWith(watchdog);
    notes.length = 0;
    context = { target, timeScale: 1, runDir, watchdog, note: (detail) => notes.push(detail) };
  });
  afterEach(async () => {
    await target.stop();
    await watchdog.close();
  });

  test('freeze: TCP still accepts, no handshake completes; undo lets devices in again', async () => {
    expect(await handshake(target.endpoints.wsBaseUrl, 2000)).toBe('welcome');
    const freeze = processFreezeInjector({ kind: 'freeze', at: 0, for: 1000 }, context);
    await freeze.inject();
    expect(watchdog.guarded).toContainEqual(expect.objectContaining({ kind: 'signal', signal: 'SIGCONT', pid: target.process!.pid }));
    const port = Number(new URL(target.endpoints.httpBaseUrl).port);
    expect(await tcpConnects('127.0.0.1', port, 1000)).toBe(true);
    expect(await handshake(target.endpoints.wsBaseUrl, 500)).toBe('timeout');
    await freeze.undo();
    expect(watchdog.guarded.filter((a) => a.kind === 'signal' && a.signal === 'SIGCONT')).toHaveLength(0);
    expect(await handshake(target.endpoints.wsBaseUrl, 2000)).toBe('welcome');
  });

  test('cpu hog at 100%: the API does not answer until the hog ends by its own deadline', async () => {
    const hog = cpuHogInjector({ kind: 'cpu-hog', at: 0, for: 1500, dutyCycle: 1 }, context);
    await hog.inject();
    await sleep(100);
    expect(await healthz(target.endpoints.httpBaseUrl, 500)).toBe('timeout');
    await sleep(1200);
    expect(await healthz(target.endpoints.httpBaseUrl, 2000)).toBe('http 200');
    await hog.undo();
  });

  test('the timeline starts a cpu hog early by its start delay: at the recorded inject the backend has stopped answering', async () => {
    const started = performance.now();
    const now = (): number => performance.now() - started;
    const events: RunEvent[] = [];
    let probe: Promise<string> | undefined;
    const event = { kind: 'cpu-hog', at: 300, for: 800, dutyCycle: 1 } as const;
    await playChaosTimeline({
      steps: [
        { afterOnlineMs: 300, action: 'inject', index: 0, event },
        { afterOnlineMs: 1100, action: 'undo', index: 0, event },
      ],
      startAt: 0,
      until: (t) => sleep(Math.max(0, t - now())),
      now,
      context: { target, timeScale: 1, runDir: context.runDir, watchdog },
      emit: (e) => {
        events.push(e);
        // Asked 5 ms after the fault is recorded (the command's own round trip is a ms or two): without
        // the lead the hog would start 20 ms after the record, and this would be answered.
        if (e.type === 'chaos' && e.action === 'inject') probe = sleep(5).then(() => healthz(target.endpoints.httpBaseUrl, 400));
      },
      active: new Set(),
    });
    const inject = events.find((e) => e.type === 'chaos' && e.action === 'inject') as { t: number };
    // Recorded at its scheduled time, as it takes effect, not when the command went 20 ms before it (timers may fire a hair early).
    expect(inject.t).toBeGreaterThan(295);
    expect(await probe).toBe('timeout');
    expect(await healthz(target.endpoints.httpBaseUrl, 2000)).toBe('http 200');
  });

  test('cpu hog at 90%: the backend event-loop delay rises above 60 ms; undo brings it back down', async () => {
    type Metrics = { eventLoopDelayMaxMs: number; eventLoopDelayP99Ms: number };
    const metrics = async () => (await (await fetch(`${target.endpoints.httpBaseUrl}/metrics`)).json()) as Metrics;
    await metrics(); // resets the delay window
    const hog = cpuHogInjector({ kind: 'cpu-hog', at: 0, for: 5000, dutyCycle: 0.9 }, context);
    await hog.inject();
    await sleep(800);
    const during = await metrics();
    // Each 100 ms slice burns 90 ms: the loop is blocked that long, over and over.
    expect(during.eventLoopDelayMaxMs).toBeGreaterThan(60);
    expect(during.eventLoopDelayP99Ms).toBeGreaterThan(60);
    await hog.undo();
    await sleep(300);
    await metrics();
    await sleep(500);
    // Idle again: the typical delay is back near zero (the max can catch a
    // stray scheduling hiccup on a loaded machine, so compare the p99).
    expect((await metrics()).eventLoopDelayP99Ms).toBeLessThan(during.eventLoopDelayP99Ms / 2);
  });

  test('a graceful stop that hangs (backend at 100% CPU) is forced after the grace period', async () => {
    await cpuHogInjector({ kind: 'cpu-hog', at: 0, for: 10_000, dutyCycle: 1 }, context).inject();
    await sleep(100);
    const oldPid = target.process!.pid;
    const stop = processStopInjector({ kind: 'stop', at: 0, for: 1000, grace: 400, holdClosed: 0 }, context);
    const started = performance.now();
    await stop.inject();
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    expect(notes).toContain('graceful stop hung for 400ms: forced with SIGKILL');
    expect(target.process!.running).toBe(false);
    await stop.undo();
    expect(target.process!.pid).not.toBe(oldPid);
    expect(await handshake(target.endpoints.wsBaseUrl, 2000)).toBe('welcome');
  });

  test('a graceful stop of a healthy backend exits on SIGTERM', async () => {
    const stop = processStopInjector({ kind: 'stop', at: 0, for: 1000, grace: 5000, holdClosed: 0 }, context);
    await stop.inject();
    expect(notes).toEqual(['exited on SIGTERM']);
    await stop.undo();
  });

  test('kill, then a restart held closed: devices get 503 until it opens', async () => {
    const kill = processKillInjector({ kind: 'kill', at: 0, for: 100, holdClosed: 800 }, context);
    await kill.inject();
    expect(await handshake(target.endpoints.wsBaseUrl, 1000)).toMatch(/^error ECONNREFUSED/);
    const undo = kill.undo();
    // Started, still held closed (for 800 ms after it is up).
    const deadline = Date.now() + 15_000;
    while (notes.length === 0 && Date.now() < deadline) await sleep(20);
    expect(notes[0]).toMatch(/^restarted held closed \(pid \d+\); devices get 503$/);
    expect(await handshake(target.endpoints.wsBaseUrl, 1000)).toBe('http 503');
    await undo;
    expect(notes.at(-1)).toBe('opened to devices');
    expect(await handshake(target.endpoints.wsBaseUrl, 2000)).toBe('welcome');
  });
});
