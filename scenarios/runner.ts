import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInjector, type Injector, type InjectorContext } from '../chaos/index.ts';
import { assertChaosAllowed } from '../chaos/safety.ts';
import { ChaosWatchdog } from '../chaos/watchdog/chaos-watchdog.ts';
import { NdjsonRecorder } from '../reports/ndjson-recorder.ts';
import { RunCollector, type RunSummary } from '../reports/run-collector.ts';
import type { RunEvent, RunEventListener, RunOutcome, RunPhase } from '../reports/run-events.ts';
import { Fleet } from '../simulators/devices/fleet.ts';
import { createPolicy } from '../simulators/devices/policy/index.ts';
import { sampleBackend } from './backend-sampler.ts';
import { AftershockError } from './errors.ts';
import { planRun, type RunPlan } from './plan-run.ts';
import type { Scenario } from './scenario-schema.ts';
import { createTarget, type StartedTarget } from './targets/index.ts';

/** A snapshot for progress displays, taken every `progressEveryMs`. */
export interface RunProgress {
  phase: RunPhase;
  /** Scenario ms since the origin. */
  t: number;
  devices: number;
  online: number;
  waiting: number;
  /** Attempts per scenario second over the last interval. */
  attemptsPerSecond: number;
}

export interface RunOptions {
  scenario: Scenario;
  /** The run folder; must not already hold a run. */
  runDir: string;
  signal?: AbortSignal;
  /** The user confirmed chaos against the scenario's remoteTargets (--allow-remote). */
  allowRemote?: boolean;
  /** Extra listeners for every run event (the recorder and collector are built in). */
  listeners?: RunEventListener[];
  onPlan?: (plan: RunPlan) => void;
  onProgress?: (progress: RunProgress) => void;
  progressEveryMs?: number;
}

export interface RunResult {
  runDir: string;
  summary: RunSummary;
}

function versions(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return { aftershock: pkg.version, node: process.versions.node };
}

/** Makes the run folder, refusing one that already holds a run (nothing is overwritten). */
export function prepareRunDir(runDir: string): void {
  if (existsSync(runDir) && readdirSync(runDir).length > 0) {
    throw new AftershockError('run-dir-not-empty', `run folder ${runDir} is not empty; choose another --out or remove it (aftershock never overwrites a run)`);
  }
  mkdirSync(runDir, { recursive: true });
}

/**
 * Plays a scenario: start the target, start the fleet, wait until it is
 * online, play the chaos timeline, record until recovery or the deadline,
 * stop, and write the summary. Whatever it started it stops on every path;
 * an injected fault is always undone. Failures of devices are data; only a
 * target that cannot start (or an abort) ends the run early.
 */
export async function runScenario(options: RunOptions): Promise<RunResult> {
  const { scenario, runDir, signal } = options;
  const scale = scenario.timeScale;
  const devices = scenario.fleet.devices;
  prepareRunDir(runDir);
  const plan = planRun(scenario);
  options.onPlan?.(plan);
  writeFileSync(join(runDir, 'scenario.json'), JSON.stringify(scenario, null, 2) + '\n');
  writeFileSync(join(runDir, 'plan.txt'), plan.lines.join('\n') + '\n');

  const recorder = new NdjsonRecorder(join(runDir, 'events.ndjson'));
  const collector = new RunCollector();
  const listeners: RunEventListener[] = [recorder.record, collector.add, ...(options.listeners ?? [])];
  const emit = (event: RunEvent): void => {
    for (const listener of listeners) listener(event);
  };

  const origin = performance.now();
  const scenarioNow = (): number => (performance.now() - origin) * scale;
  /** Sleeps until scenario time `t` (ms since origin); aborts with the run. */
  const until = (t: number): Promise<unknown> => sleep(Math.max(0, t / scale - (performance.now() - origin)), undefined, { signal });
  let phase: RunPhase = 'starting-target';
  const enter = (next: RunPhase): void => {
    phase = next;
    emit({ type: 'phase', t: scenarioNow(), phase });
  };

  emit({
    type: 'run-start',
    t: 0,
    scenario: scenario.name,
    seed: scenario.seed,
    timeScale: scale,
    devices,
    startedAt: new Date().toISOString(),
    versions: versions(),
    policy: { ...scenario.policy },
  });

  // Started first, stopped last: it undoes whatever is in effect if we die.
  const watchdog = await ChaosWatchdog.start(runDir);
  let started: StartedTarget | undefined;
  let fleet: Fleet | undefined;
  const active = new Set<Injector>();
  let outcome: RunOutcome = 'error';
  let failure: unknown;
  let progressTimer: ReturnType<typeof setInterval> | undefined;
  let sampler: { stop: () => void } | undefined;
  // Synchronous last resort if the harness exits without reaching `finally`.
  const killOnExit = (): void => started?.process?.killNow();
  process.once('exit', killOnExit);

  try {
    enter('starting-target');
    started = await createTarget(scenario.target).start({ runDir, timeScale: scale });
    await started.process?.guardWith(watchdog);
    if (started.admin) sampler = sampleBackend(`${started.endpoints.httpBaseUrl}/metrics`, scenarioNow, emit);
    if (scenario.chaos.length > 0) assertChaosAllowed(started.endpoints, scenario.remoteTargets, options.allowRemote ?? false);

    enter('starting-fleet');
    fleet = new Fleet({
      devices,
      baseUrl: started.endpoints.wsBaseUrl,
      policy: createPolicy(scenario.policy),
      seed: scenario.seed,
      timeScale: scale,
      rampUpMs: scenario.fleet.rampUp,
      connectTimeoutMs: scenario.fleet.connectTimeout,
      handshakeTimeoutMs: scenario.fleet.handshakeTimeout,
      heartbeatTimeoutMs: scenario.fleet.heartbeatTimeout,
      originMs: origin,
      onEvent: emit,
    });
    const runningFleet = fleet;
    if (options.onProgress) {
      const onProgress = options.onProgress;
      let lastAttempts = 0;
      let lastT = 0;
      let attempts = 0;
      listeners.push((event) => {
        if (event.type === 'attempt') attempts++;
      });
      progressTimer = setInterval(() => {
        const t = scenarioNow();
        const counts = runningFleet.counts();
        const rate = t > lastT ? ((attempts - lastAttempts) * 1000) / (t - lastT) : 0;
        lastAttempts = attempts;
        lastT = t;
        onProgress({ phase, t, devices, online: counts.online, waiting: counts.waiting, attemptsPerSecond: rate });
      }, options.progressEveryMs ?? 250);
    }
    fleet.start();

    const allOnline = (): boolean => runningFleet.counts().online === devices;
    const deadlineAt = scenario.deadline;
    await waitFor(allOnline, Math.min(scenarioNow() + scenario.onlineTimeout, deadlineAt), scenarioNow, signal);

    enter('steady');
    const steadyAt = scenarioNow();
    const injectors = new Map<number, Injector>();
    if (plan.chaos.length > 0) enter('chaos');
    for (const step of plan.chaos) {
      await until(steadyAt + step.afterOnlineMs);
      const { kind } = step.event;
      const context: InjectorContext = {
        target: started,
        timeScale: scale,
        runDir,
        watchdog,
        note: (detail) => emit({ type: 'chaos', t: scenarioNow(), kind, action: 'note', index: step.index, detail }),
      };
      if (step.action === 'inject') {
        const injector = createInjector(step.event, context);
        injectors.set(step.index, injector);
        active.add(injector);
        emit({ type: 'chaos', t: scenarioNow(), kind, action: 'inject', index: step.index, detail: injector.describe() });
        await injector.inject(signal);
      } else {
        const injector = injectors.get(step.index)!;
        await injector.undo();
        active.delete(injector);
        emit({ type: 'chaos', t: scenarioNow(), kind: step.event.kind, action: 'undo', index: step.index });
      }
    }

    enter('recovering');
    const recovered = await waitFor(allOnline, deadlineAt, scenarioNow, signal);
    if (recovered) {
      enter('settling');
      await until(Math.min(scenarioNow() + scenario.settle, deadlineAt));
    }
    outcome = recovered ? 'recovered' : 'deadline';
  } catch (error) {
    if (signal?.aborted) outcome = 'interrupted';
    else failure = error;
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    sampler?.stop();
    enter('stopping');
    await fleet?.stop();
    for (const injector of active) {
      await injector.undo().catch(() => undefined);
    }
    await started?.stop().catch(() => undefined);
    await watchdog.close();
    process.off('exit', killOnExit);
    emit({
      type: 'run-end',
      t: scenarioNow(),
      outcome: failure ? 'error' : outcome,
      ...(failure ? { message: (failure as Error).message } : {}),
    });
    await recorder.close();
  }

  const summary = collector.summary();
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  if (failure) throw failure;
  return { runDir, summary };
}

/**
 * Polls `condition` every 10 real ms until it holds (true) or scenario time
 * reaches `limitT` (false). Rejects when the run is aborted.
 */
async function waitFor(condition: () => boolean, limitT: number, now: () => number, signal: AbortSignal | undefined): Promise<boolean> {
  while (!condition()) {
    if (now() >= limitT) return false;
    await sleep(10, undefined, { signal });
  }
  return true;
}
