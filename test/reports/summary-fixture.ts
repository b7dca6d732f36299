import { RunCollector, type RunSummary } from '../../reports/run-collector.ts';
import type { RunEvent } from '../../reports/run-events.ts';

/**
 * A small run folded from synthetic events: `devices` devices online from
 * t=1s, a kill at 10s, restored at 70s, device i back at 70s + i*1s (so
 * recovery tN is known exactly), one refused attempt per device while down.
 */
export function syntheticEvents(devices: number, options: { neverBack?: number; end?: boolean } = {}): RunEvent[] {
  const events: RunEvent[] = [
    { type: 'run-start', t: 0, scenario: 'synthetic', seed: 'fixture', timeScale: 60, devices, startedAt: '2026-01-01T00:00:00.000Z', versions: { aftershock: '0.0.0-test', node: '24' }, policy: { kind: 'seed', firstWaitMaxMs: 60_000 } },
  ];
  for (let d = 0; d < devices; d++) {
    events.push({ type: 'attempt', t: 1000, device: d, attempt: 0 }, { type: 'online', t: 1000 + d, device: d, attempt: 0, handshakeMs: 10 + (d % 10) });
  }
  events.push({ type: 'chaos', t: 10_000, kind: 'kill', action: 'inject', index: 0, detail: 'SIGKILL the backend (pid 1)' });
  for (let d = 0; d < devices; d++) events.push({ type: 'lost', t: 10_000, device: d, cause: 'close' });
  for (let d = 0; d < devices; d++) events.push({ type: 'attempt', t: 20_000, device: d, attempt: 1 }, { type: 'failure', t: 20_000, device: d, attempt: 1, cause: 'refused' });
  events.push({ type: 'chaos', t: 69_000, kind: 'kill', action: 'note', index: 0, detail: 'restarted (pid 2)' });
  events.push({ type: 'chaos', t: 70_000, kind: 'kill', action: 'undo', index: 0 });
  const back = devices - (options.neverBack ?? 0);
  for (let d = 0; d < back; d++) {
    const t = 70_000 + (d + 1) * 1000;
    events.push({ type: 'attempt', t, device: d, attempt: 2 }, { type: 'online', t, device: d, attempt: 2, handshakeMs: 100 + d });
  }
  events.push({ type: 'backend', t: 5000, reachable: true, devicesOnline: devices, cpuPercent: 20, rssMB: 100, heapUsedMB: 40, eventLoopDelayP99Ms: 5, eventLoopDelayMaxMs: 9 });
  events.push({ type: 'backend', t: 15_000, reachable: false });
  events.push({ type: 'backend', t: 75_000, reachable: true, devicesOnline: 3, cpuPercent: 60, rssMB: 120, heapUsedMB: 50, eventLoopDelayP99Ms: 30, eventLoopDelayMaxMs: 45 });
  events.sort((a, b) => a.t - b.t);
  if (options.end !== false) events.push({ type: 'run-end', t: 70_000 + (back + 5) * 1000, outcome: back === devices ? 'recovered' : 'deadline' });
  return events;
}

export function syntheticSummary(devices = 10, options: { neverBack?: number; end?: boolean } = {}): RunSummary {
  const collector = new RunCollector();
  for (const event of syntheticEvents(devices, options)) collector.add(event);
  return collector.summary();
}
