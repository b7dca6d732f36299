import { describe, expect, test } from 'vitest';
import { builtInScenarios } from '../../scenarios/library/index.ts';
import { machineConnectsPerSecond, machineTiming, maxHeartbeatsPerSecond } from '../../scenarios/machine-timing.ts';
import { planRun } from '../../scenarios/plan-run.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

const hardKill = (devices: number, timeScale: number) => validateScenario({ ...builtInScenarios['hard-kill'], fleet: { devices, rampUp: '30s' }, timeScale }, 'hard-kill');

describe('machine timing', () => {
  test('leaves a scenario the machine keeps up with as written', () => {
    for (const name of ['hard-kill', 'nov4-cpu-lockup'] as const) {
      const scenario = validateScenario(builtInScenarios[name], name);
      const timing = machineTiming(scenario);
      expect(timing.machineBound).toBe(false);
      expect(timing.lines).toEqual([]);
      expect(timing.connectTimeoutMs).toBe(scenario.fleet.connectTimeout);
      expect(timing.handshakeTimeoutMs).toBe(scenario.fleet.handshakeTimeout);
      expect(timing.heartbeatTimeoutMs).toBe(scenario.fleet.heartbeatTimeout);
      expect(timing.heartbeatIntervalMs).toBe((scenario.target as { heartbeatInterval: number }).heartbeatInterval);
      expect(timing.onlineTimeoutMs).toBe(scenario.onlineTimeout);
    }
  });

  test('100,000 devices at time scale 60: timeouts cover one pass of the fleet, heartbeats within the budget', () => {
    const scenario = hardKill(100_000, 60);
    const timing = machineTiming(scenario);
    expect(timing.machineBound).toBe(true);
    // 100,000 over the policy's 60 s first wait, compressed to one real second.
    expect(timing.peakArrivalsPerSecond).toBe(100_000);
    const passScenarioMs = (100_000 / machineConnectsPerSecond) * 1000 * 60;
    expect(timing.connectTimeoutMs).toBeGreaterThanOrEqual(passScenarioMs);
    expect(timing.handshakeTimeoutMs).toBeGreaterThanOrEqual(passScenarioMs);
    // Pings per real second after the stretch, and the devices' timeout stretched alike.
    const pingsPerSecond = (100_000 * 1000 * 60) / timing.heartbeatIntervalMs!;
    expect(pingsPerSecond).toBeLessThanOrEqual(maxHeartbeatsPerSecond);
    expect(timing.heartbeatTimeoutMs / timing.heartbeatIntervalMs!).toBeCloseTo(75 / 30, 2);
    expect(timing.onlineTimeoutMs).toBeGreaterThanOrEqual(30_000 + 2 * passScenarioMs);
    expect(timing.recoveryFloorMs).toBeGreaterThanOrEqual(2 * passScenarioMs);
    // The plan says all of it, and what scale would be faithful.
    const plan = planRun(scenario).lines.join('\n');
    expect(plan).toMatch(/machine-bound: at time scale 60, 100000 devices arrive at up to 100,000 per real second/);
    expect(plan).toMatch(/for a faithful run use --time-scale 1 or less/);
    // In real time this machine keeps up with 100,000; 150,000 it does not, even then.
    expect(machineTiming(hardKill(100_000, 1)).machineBound).toBe(false);
    expect(planRun(hardKill(150_000, 1)).lines.join('\n')).toMatch(/even in real time: spread the fleet over machines \(aftershock export k6\)/);
    expect(plan).toMatch(/connectTimeout and handshakeTimeout raised to/);
    expect(plan).toMatch(/heartbeats stretched x40\.0/);
  });

  test('the stretch grows with the fleet and the scale, never shrinks a timing', () => {
    let previous = machineTiming(hardKill(1000, 20));
    for (const [devices, scale] of [[20_000, 20], [20_000, 60], [100_000, 60]] as const) {
      const timing = machineTiming(hardKill(devices, scale));
      expect(timing.heartbeatIntervalMs!).toBeGreaterThanOrEqual(previous.heartbeatIntervalMs!);
      expect(timing.handshakeTimeoutMs).toBeGreaterThanOrEqual(previous.handshakeTimeoutMs);
      expect(timing.onlineTimeoutMs).toBeGreaterThanOrEqual(previous.onlineTimeoutMs);
      previous = timing;
    }
  });
});
