import { playChaosTimeline } from '../../chaos/play-chaos-timeline.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Injector } from '../../chaos/index.ts';
import { assertChaosPossible } from '../../chaos/chaos-preflight.ts';
import { assertChaosAllowed } from '../../chaos/safety.ts';
import { startProxyFor, type StartedTargetProxy } from '../../chaos/toxiproxy/proxy-for-target.ts';
import { ChaosWatchdog } from '../../chaos/watchdog/chaos-watchdog.ts';
import { NdjsonRecorder } from '../../reports/ndjson-recorder.ts';
import type { RunEvent } from '../../reports/run-events.ts';
import { sampleBackend } from '../backend-sampler.ts';
import { AftershockError } from '../errors.ts';
import { planRun, type RunPlan } from '../plan-run.ts';
import { prepareRunDir, runStartEvent } from '../runner.ts';
import type { Scenario } from '../scenario-schema.ts';
import { createTarget, type StartedTarget } from '../targets/index.ts';

/** A chaos-events line: a run event with the wall-clock time it happened, so that it lines up with k6's timestamps. */
export type ChaosFileEvent = RunEvent & { epochMs: number };

export const chaosEventsFileName = 'chaos-events.ndjson';

/** Where the devices of the external load reach the target. */
export interface ChaosPlayTarget {
  /** The ws:// base URL k6 should use (AFTERSHOCK_TARGET_URL): the proxy's when the scenario has network chaos. */
  deviceBaseUrl: string;
  httpBaseUrl: string;
}

export interface ChaosPlayOptions {
  scenario: Scenario;
  /** Folder for chaos-events.ndjson, the plan, the backend's log; must not hold a run. */
  runDir: string;
  signal?: AbortSignal;
  allowRemote?: boolean;
  /** Devices the load brings (default the scenario's); the timeline starts once the backend counts them all online. */
  devices?: number;
  /** Start the timeline this many real ms after the target is up instead of waiting for the devices (for a backend without /metrics). */
  startAfterMs?: number;
  /** Real ms to wait for the first device before giving up (default 10 minutes: someone has to start k6). */
  firstDeviceTimeoutMs?: number;
  onPlan?: (plan: RunPlan) => void;
  onTarget?: (target: ChaosPlayTarget) => void;
  onEvent?: (event: ChaosFileEvent) => void;
}

export interface ChaosPlayResult {
  eventsPath: string;
  /** recovered: every device was back after the timeline; deadline: not within the scenario's deadline. */
  outcome: 'recovered' | 'deadline' | 'interrupted' | 'error';
}

/**
 * `aftershock chaos play`: plays only a scenario's chaos timeline against
 * its target while an external load (k6) drives the devices. It starts the
 * target, waits until the backend counts the fleet online, injects and
 * undoes each fault as the runner does (same injectors, same plan, same
 * watchdog), and keeps the target up until the devices leave or the
 * deadline passes. Every chaos step and backend sample goes to
 * chaos-events.ndjson with its wall-clock time (`epochMs`), for
 * `aftershock report --from-k6 --chaos`.
 */
export async function playChaos(options: ChaosPlayOptions): Promise<ChaosPlayResult> {
  const { scenario, runDir, signal } = options;
  const scale = scenario.timeScale;
  const devices = options.devices ?? scenario.fleet.devices;
  assertChaosPossible(scenario);
  prepareRunDir(runDir);
  const plan = planRun(scenario);
  options.onPlan?.(plan);
  writeFileSync(join(runDir, 'scenario.json'), JSON.stringify(scenario, null, 2) + '\n');
  writeFileSync(join(runDir, 'plan.txt'), plan.lines.join('\n') + '\n');

  const eventsPath = join(runDir, chaosEventsFileName);
  const recorder = new NdjsonRecorder(eventsPath);
  const origin = performance.now();
  const scenarioNow = (): number => (performance.now() - origin) * scale;
  const emit = (event: RunEvent): void => {
    const line = { ...event, epochMs: Math.round(performance.timeOrigin + origin + event.t / scale) } as ChaosFileEvent;
    recorder.record(line);
    options.onEvent?.(line);
  };
  const abort = new AbortController();
  signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const until = (t: number): Promise<unknown> => sleep(Math.max(0, t / scale - (performance.now() - origin)), undefined, { signal: abort.signal });

  emit(runStartEvent(scenario, devices));
  const watchdog = await ChaosWatchdog.start(runDir);
  let started: StartedTarget | undefined;
  let proxy: StartedTargetProxy | undefined;
  let sampler: { stop: () => void } | undefined;
  const active = new Set<Injector>();
  let outcome: ChaosPlayResult['outcome'] = 'error';
  let failure: unknown;
  /** The backend's count of online devices, from the latest sample (undefined: no answer). */
  let online: number | undefined;
  try {
    emit({ type: 'phase', t: scenarioNow(), phase: 'starting-target' });
    started = await createTarget(scenario.target).start({ runDir, timeScale: scale, expectedConnections: devices, watchdog });
    await started.process?.guardWith(watchdog);
    if (scenario.chaos.length > 0) assertChaosAllowed(started.endpoints, scenario.remoteTargets, options.allowRemote ?? false);
    const metricsUrl = `${started.endpoints.httpBaseUrl}/metrics`;
    if (started.admin) {
      sampler = sampleBackend(metricsUrl, scenarioNow, (event) => {
        if (event.type === 'backend') online = event.reachable ? event.devicesOnline : undefined;
        emit(event);
      });
    }
    let deviceBaseUrl = started.endpoints.wsBaseUrl;
    if (scenario.chaos.some((event) => event.kind === 'network')) {
      const backend = new URL(started.endpoints.wsBaseUrl);
      proxy = await startProxyFor({ host: backend.hostname, port: Number(backend.port) }, { runDir, watchdog, seed: scenario.seed });
      deviceBaseUrl = `ws://${proxy.listenHost}:${proxy.listenPort}`;
    }
    options.onTarget?.({ deviceBaseUrl, httpBaseUrl: started.endpoints.httpBaseUrl });

    // The load is someone else's: wait for its first device, then for all.
    emit({ type: 'phase', t: scenarioNow(), phase: 'starting-fleet' });
    let firstDeviceAt = scenarioNow();
    if (options.startAfterMs !== undefined) {
      await sleep(options.startAfterMs, undefined, { signal: abort.signal });
    } else {
      if (!sampler) {
        throw new AftershockError('no-device-count', `target ${scenario.target.kind} has no metrics to count devices online; give --start-after to start the timeline after a fixed time`);
      }
      const firstLimitRealMs = options.firstDeviceTimeoutMs ?? 600_000;
      const waitStart = performance.now();
      while (!((online ?? 0) > 0)) {
        if (performance.now() - waitStart > firstLimitRealMs) {
          throw new AftershockError('no-devices', `no device reached ${deviceBaseUrl} within ${Math.round(firstLimitRealMs / 1000)} s; start the load (k6 run -e AFTERSHOCK_TARGET_URL=${deviceBaseUrl} ...) after \`chaos play\` prints the target`);
        }
        await sleep(20, undefined, { signal: abort.signal });
      }
      firstDeviceAt = scenarioNow();
      const onlineLimit = firstDeviceAt + scenario.fleet.rampUp + scenario.onlineTimeout;
      while ((online ?? 0) < devices && scenarioNow() < onlineLimit) await sleep(20, undefined, { signal: abort.signal });
    }

    emit({ type: 'phase', t: scenarioNow(), phase: 'steady' });
    const steadyAt = scenarioNow();
    if (plan.chaos.length > 0) emit({ type: 'phase', t: scenarioNow(), phase: 'chaos' });
    await playChaosTimeline({
      steps: plan.chaos,
      startAt: steadyAt,
      until,
      now: scenarioNow,
      context: { target: started, timeScale: scale, runDir, watchdog, proxy: proxy ? { apiUrl: proxy.apiUrl, name: proxy.name } : undefined },
      emit,
      active,
      signal: abort.signal,
    });

    // Keep the target up while the load runs: the devices hold it until
    // their deadline, counted from their start (about the first device).
    emit({ type: 'phase', t: scenarioNow(), phase: 'recovering' });
    const deadlineAt = firstDeviceAt + scenario.deadline;
    let recovered = false;
    let goneSamples = 0;
    while (scenarioNow() < deadlineAt + 30_000 * scale) {
      if (online !== undefined && online >= devices) recovered = true;
      // Every device left after the fleet was back: the load has ended.
      goneSamples = recovered && online === 0 ? goneSamples + 1 : 0;
      if (goneSamples >= 3 || (options.startAfterMs !== undefined && scenarioNow() >= deadlineAt)) break;
      await sleep(100, undefined, { signal: abort.signal });
    }
    outcome = recovered ? 'recovered' : 'deadline';
  } catch (error) {
    if (signal?.aborted) outcome = 'interrupted';
    else failure = error;
  } finally {
    sampler?.stop();
    emit({ type: 'phase', t: scenarioNow(), phase: 'stopping' });
    for (const injector of active) await injector.undo().catch(() => undefined);
    await proxy?.stop().catch(() => undefined);
    await started?.stop().catch(() => undefined);
    await watchdog.close();
    emit({ type: 'run-end', t: scenarioNow(), outcome: failure ? 'error' : outcome, ...(failure ? { message: (failure as Error).message } : {}) });
    await recorder.close();
  }
  if (failure) throw failure;
  return { eventsPath, outcome };
}
