import { playChaosTimeline } from '../chaos/play-chaos-timeline.ts';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Injector } from '../chaos/index.ts';
import { assertChaosAllowed } from '../chaos/safety.ts';
import { assertChaosPossible } from '../chaos/chaos-preflight.ts';
import { ChaosWatchdog } from '../chaos/watchdog/chaos-watchdog.ts';
import { startProxyFor, type StartedTargetProxy } from '../chaos/toxiproxy/proxy-for-target.ts';
import { NdjsonRecorder } from '../reports/ndjson-recorder.ts';
import { RunCollector, type RunSummary } from '../reports/run-collector.ts';
import type { RunEvent, RunEventListener, RunOutcome, RunPhase } from '../reports/run-events.ts';
import { evaluateThresholds } from '../reports/thresholds/evaluate-thresholds.ts';
import { writeRunReports } from '../reports/write-reports.ts';
import { ShardedFleet } from '../simulators/devices/sharded-fleet.ts';
import { EventMerger } from './event-merger.ts';
import { IntegrityRun } from './integrity/integrity-run.ts';
import { sampleBackend } from './backend-sampler.ts';
import { AftershockError } from './errors.ts';
import { planRun, type RunPlan } from './plan-run.ts';
import { assertPreflight, preflight, readMachineLimits } from './preflight.ts';
import type { Scenario } from './scenario-schema.ts';
import { createTarget, type StartedTarget } from './targets/index.ts';
import { probeProtocol } from './targets/protocol-probe.ts';
import { createAdapter } from '../simulators/devices/adapters/index.ts';
import { deviceIdOf } from '../simulators/devices/fleet.ts';
import { compareModelToRun, comparePlanToRun } from '../simulators/model/compare-to-run.ts';

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

/** The event that opens every run's event stream (a full run or `chaos play`). */
export function runStartEvent(scenario: Scenario, devices: number): Extract<RunEvent, { type: 'run-start' }> {
  return {
    type: 'run-start',
    t: 0,
    scenario: scenario.name,
    seed: scenario.seed,
    timeScale: scenario.timeScale,
    devices,
    startedAt: new Date().toISOString(),
    versions: versions(),
    policy: { ...scenario.policy },
  };
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
  // Before anything starts: does the fleet fit this machine?
  const checks = preflight(scenario, readMachineLimits(), { loopbackTarget: scenario.target.kind === 'reference' || scenario.target.kind === 'container' });
  assertPreflight(checks, devices);
  assertChaosPossible(scenario);
  prepareRunDir(runDir);
  const plan = planRun(scenario);
  plan.lines.push('preflight:', ...checks.lines.map((line) => `  ${line}`));
  options.onPlan?.(plan);
  writeFileSync(join(runDir, 'scenario.json'), JSON.stringify(scenario, null, 2) + '\n');
  writeFileSync(join(runDir, 'plan.txt'), plan.lines.join('\n') + '\n');

  const recorder = new NdjsonRecorder(join(runDir, 'events.ndjson'));
  const collector = new RunCollector();
  const listeners: RunEventListener[] = [recorder.record, collector.add, ...(options.listeners ?? [])];
  // Shard processes deliver their events in batches; the merger hands every
  // listener one stream in time order.
  // A shard is passed over only after 15 s without a batch (a hung shard
  // must not stall the recording); at 2 s, busy shards at 100,000 devices
  // were passed over and whole batches landed out of time order.
  const merger = new EventMerger<RunEvent>((event) => {
    for (const listener of listeners) listener(event);
  }, 15_000);
  merger.addSource('runner');
  const emit = (event: RunEvent): void => merger.push('runner', [event], event.t);

  const origin = performance.now();
  const scenarioNow = (): number => (performance.now() - origin) * scale;
  // Aborted by the caller (Ctrl-C), or by the run itself when a fleet shard dies.
  const runAbort = new AbortController();
  signal?.addEventListener('abort', () => runAbort.abort(), { once: true });
  let shardFailure: AftershockError | undefined;
  /** Sleeps until scenario time `t` (ms since origin); aborts with the run. */
  const until = (t: number): Promise<unknown> => sleep(Math.max(0, t / scale - (performance.now() - origin)), undefined, { signal: runAbort.signal });
  let phase: RunPhase = 'starting-target';
  const enter = (next: RunPhase): void => {
    phase = next;
    emit({ type: 'phase', t: scenarioNow(), phase });
  };

  emit(runStartEvent(scenario, devices));

  // Started first, stopped last: it undoes whatever is in effect if we die.
  const watchdog = await ChaosWatchdog.start(runDir);
  let started: StartedTarget | undefined;
  let fleet: ShardedFleet | undefined;
  let proxy: StartedTargetProxy | undefined;
  const active = new Set<Injector>();
  let outcome: RunOutcome = 'error';
  let failure: unknown;
  let progressTimer: ReturnType<typeof setInterval> | undefined;
  let sampler: { stop: () => void } | undefined;
  let integrity: IntegrityRun | undefined;
  /** Samples at which the shards' counts did not add up to the fleet. */
  let unaccountedSamples = 0;
  // Synchronous last resort if the harness exits without reaching `finally`.
  const killOnExit = (): void => {
    fleet?.killNow();
    started?.process?.killNow();
  };
  process.once('exit', killOnExit);

  try {
    enter('starting-target');
    // The content origin first: the backend is told where to publish manifests.
    if (scenario.integrity) {
      integrity = await IntegrityRun.start({
        config: scenario.integrity,
        runDir,
        devices,
        seed: scenario.seed,
        timeScale: scale,
        deadlineMs: scenario.deadline,
        now: scenarioNow,
        emit,
        watchdog,
      });
    }
    // The reference backend pings on the run's (possibly stretched) interval.
    const { timing } = plan;
    const targetConfig = 'heartbeatInterval' in scenario.target && timing.heartbeatIntervalMs !== undefined ? { ...scenario.target, heartbeatInterval: timing.heartbeatIntervalMs } : scenario.target;
    started = await createTarget(targetConfig).start({
      runDir,
      timeScale: scale,
      expectedConnections: scenario.fleet.devices,
      watchdog,
      ...(integrity?.originUrl ? { originUrl: integrity.originUrl } : {}),
    });
    await started.process?.guardWith(watchdog);
    // A backend that does not speak the scenario's protocol fails here, with
    // what came back, rather than as a storm of handshake timeouts.
    if (scenario.protocol.kind !== 'reference') {
      const probeMs = Math.max(2000, (scenario.fleet.connectTimeout + scenario.fleet.handshakeTimeout) / scale);
      await probeProtocol(`the ${scenario.target.kind} target at ${started.endpoints.wsBaseUrl}`, started.endpoints.wsBaseUrl, createAdapter(scenario.protocol), deviceIdOf(0), probeMs);
    }
    if (started.admin) sampler = sampleBackend(`${started.endpoints.httpBaseUrl}/metrics`, scenarioNow, emit);
    if (scenario.chaos.length > 0) assertChaosAllowed(started.endpoints, scenario.remoteTargets, options.allowRemote ?? false);

    // Network chaos needs a Toxiproxy proxy between the devices and the backend.
    let deviceBaseUrl = started.endpoints.wsBaseUrl;
    if (scenario.chaos.some((event) => event.kind === 'network')) {
      const backend = new URL(started.endpoints.wsBaseUrl);
      proxy = await startProxyFor({ host: backend.hostname, port: Number(backend.port) }, { runDir, watchdog, seed: scenario.seed });
      deviceBaseUrl = `ws://${proxy.listenHost}:${proxy.listenPort}`;
    }

    // Every device gets its first content before it boots, as in real life.
    await integrity?.begin(started.endpoints.httpBaseUrl, runAbort.signal);
    enter('starting-fleet');
    // The deadline counts from here, as the schema says: seeding content for a
    // large fleet (one durable PUT per device) must not eat into the run.
    const fleetStartedAt = scenarioNow();
    // Sources are registered before any shard starts: a shard that is ready
    // early sends its first batch while slower shards are still booting.
    const shardSources = Array.from({ length: ShardedFleet.shardCount(devices, scenario.fleet.devicesPerShard) }, (_, i) => `shard-${i}`);
    for (const source of shardSources) merger.addSource(source);
    const runningFleet = await ShardedFleet.start({
      devices,
      devicesPerShard: scenario.fleet.devicesPerShard,
      baseUrl: deviceBaseUrl,
      policy: scenario.policy,
      protocol: scenario.protocol,
      seed: scenario.seed,
      timeScale: scale,
      rampUpMs: scenario.fleet.rampUp,
      connectTimeoutMs: timing.connectTimeoutMs,
      handshakeTimeoutMs: timing.handshakeTimeoutMs,
      heartbeatTimeoutMs: timing.heartbeatTimeoutMs,
      originEpochMs: performance.timeOrigin + origin,
      // Spread over 127.B.x.y only when the target is IPv4 loopback.
      devicesPerSourceAddress: new URL(deviceBaseUrl).hostname.startsWith('127.') ? scenario.fleet.devicesPerSourceAddress : 0,
      batchEveryMs: 50,
      originUrl: integrity?.originUrl ?? null,
      onEvents: (shard, events, watermark) => merger.push(shardSources[shard], events, watermark),
      onShardFailure: (_shard, message) => {
        shardFailure ??= new AftershockError('fleet-shard-failed', `${message}; the run cannot account for its devices (see the run folder's events.ndjson)`);
        runAbort.abort();
      },
    });
    fleet = runningFleet;
    let lastAttempts = 0;
    let lastT = 0;
    progressTimer = setInterval(() => {
      const t = scenarioNow();
      const counts = runningFleet.counts();
      // Every device is in exactly one state at every sample, or the fleet lost track of one.
      if (Object.values(counts).reduce((sum, n) => sum + n, 0) !== devices) unaccountedSamples++;
      const attempts = runningFleet.attempts;
      const rate = t > lastT ? ((attempts - lastAttempts) * 1000) / (t - lastT) : 0;
      lastAttempts = attempts;
      lastT = t;
      options.onProgress?.({ phase, t, devices, online: counts.online, waiting: counts.waiting, attemptsPerSecond: rate });
    }, options.progressEveryMs ?? 250);

    const allOnline = (): boolean => runningFleet.counts().online === devices;
    // A fleet the machine needs longer to bring online than the scenario's
    // deadline allows still gets its online wait (see machine-timing.ts).
    let deadlineAt = fleetStartedAt + Math.max(scenario.deadline, timing.onlineTimeoutMs);
    await waitFor(allOnline, Math.min(scenarioNow() + timing.onlineTimeoutMs, deadlineAt), scenarioNow, runAbort.signal);

    enter('steady');
    const steadyAt = scenarioNow();
    integrity?.onSteady(plan.chaos.length > 0 ? plan.chaos[0].afterOnlineMs : null);
    if (plan.chaos.length > 0) enter('chaos');
    await playChaosTimeline({
      steps: plan.chaos,
      startAt: steadyAt,
      until,
      now: scenarioNow,
      context: { target: started, timeScale: scale, runDir, watchdog, proxy: proxy ? { apiUrl: proxy.apiUrl, name: proxy.name } : undefined },
      emit,
      active,
      signal: runAbort.signal,
    });

    // Machine-bound: the recovery gets at least what the machine needs after the last fault.
    if (timing.machineBound) deadlineAt = Math.max(deadlineAt, steadyAt + (plan.chaos.at(-1)?.afterOnlineMs ?? 0) + timing.recoveryFloorMs);
    enter('recovering');
    integrity?.onRecovering(plan.chaos.length > 0);
    const recovered = await waitFor(allOnline, deadlineAt, scenarioNow, runAbort.signal);
    const integrityRecovered = integrity?.onRecovered();
    if (recovered) {
      enter('settling');
      await until(Math.min(scenarioNow() + scenario.settle, deadlineAt));
    }
    // Read every device back while the fleet and the backend still run.
    await integrityRecovered;
    await integrity?.verify(runAbort.signal);
    outcome = recovered ? 'recovered' : 'deadline';
  } catch (error) {
    if (shardFailure) failure = shardFailure;
    else if (signal?.aborted) outcome = 'interrupted';
    else failure = error;
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    sampler?.stop();
    enter('stopping');
    await fleet?.stop();
    for (let i = 0; i < (fleet?.shardCount ?? 0); i++) merger.close(`shard-${i}`);
    for (const injector of active) {
      await injector.undo().catch(() => undefined);
    }
    await proxy?.stop().catch(() => undefined);
    await started?.stop().catch(() => undefined);
    await integrity?.stop();
    await watchdog.close();
    process.off('exit', killOnExit);
    emit({
      type: 'run-end',
      t: scenarioNow(),
      outcome: failure ? 'error' : outcome,
      ...(failure ? { message: (failure as Error).message } : {}),
    });
    merger.drain();
    await recorder.close();
  }

  const summary = collector.summary();
  summary.model = compareModelToRun(scenario, summary);
  summary.plan = comparePlanToRun(scenario, summary);
  summary.verification.unaccountedSamples = unaccountedSamples;
  summary.thresholds = evaluateThresholds(scenario.thresholds, summary);
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  writeRunReports(runDir, summary);
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
