import { formatDuration } from './duration.ts';
import type { Scenario } from './scenario-schema.ts';

/**
 * A time scale compresses the scenario's waits, and with them every rate:
 * at scale 60 a fleet that reconnects over a minute arrives within one real
 * second, and a 30 s ping interval pings 60 times as often. Past what one
 * machine does (the fleet and the reference backend together), the harness
 * would measure its own queue: attempts time out behind the harness's other
 * attempts, heartbeats crowd out handshakes, and the fleet never gets back.
 * This pure function says where the scenario crosses those limits and how
 * the run stretches its own timings to stay measurable; the plan prints it.
 */

/**
 * Devices per real second this harness brings online on a 2-core machine,
 * fleet and reference backend sharing it: bench:fleet measured 2,900-4,500/s
 * at 30,000-100,000 devices, a full run 1,650-2,300/s at 100,000 (it also
 * records every event). The lower end, so the floors hold on a busy machine.
 */
export const machineConnectsPerSecond = 2000;
/**
 * Heartbeats (ping and pong) per real second the run allows the reference
 * backend: each costs both sides a few tens of microseconds, so this keeps
 * them to a few percent of a core whatever the scale.
 */
export const maxHeartbeatsPerSecond = 5000;

export interface MachineTiming {
  /** Every value in scenario ms, as the fleet and the targets take them. */
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  heartbeatTimeoutMs: number;
  /** The reference backend's ping interval; undefined when the target pings on its own schedule. */
  heartbeatIntervalMs: number | undefined;
  /** The longest wait for the fleet to come online. */
  onlineTimeoutMs: number;
  /** After the last chaos event ends, the run waits at least this long for recovery, whatever the deadline. */
  recoveryFloorMs: number;
  /** Devices arriving per real second after an outage (the fleet over the policy's first wait, compressed by the scale). */
  peakArrivalsPerSecond: number;
  /** True when the peak arrival rate is above what the machine connects: the recovery then measures the machine. */
  machineBound: boolean;
  /** For the plan: what was stretched and why. Empty when nothing was. */
  lines: string[];
}

/** How long a device's first reconnect attempt may be spread over (scenario ms), per policy. */
function firstSpreadMs(policy: Scenario['policy']): number {
  switch (policy.kind) {
    case 'seed':
      return policy.firstWaitMaxMs;
    case 'staged':
      // A fixed first wait spreads nothing: the whole fleet arrives at once.
      return policy.firstMaxMs - policy.firstMinMs;
    case 'constant':
      return policy.delayMs;
    default:
      return policy.baseMs;
  }
}

/** The time scale at which the machine keeps up, or where to go when not even real time does. */
function faithfulAdvice(scenario: Scenario): string {
  const faithful = Math.floor((machineConnectsPerSecond * firstSpreadMs(scenario.policy)) / 1000 / scenario.fleet.devices);
  if (faithful >= 1) return `for a faithful run use --time-scale ${faithful} or less`;
  return 'even in real time: spread the fleet over machines (aftershock export k6) for a faithful run';
}

/**
 * A ping interval and heartbeat timeout (scenario ms) stretched alike so that
 * `devices` pinged at this time scale cost at most maxHeartbeatsPerSecond;
 * `stretch` is 1 where they already do.
 */
export function stretchHeartbeats(
  devices: number,
  timeScale: number,
  intervalMs: number,
  timeoutMs: number,
): { intervalMs: number; timeoutMs: number; stretch: number; pingsPerSecond: number } {
  const pingsPerSecond = (devices * 1000 * timeScale) / intervalMs;
  if (pingsPerSecond <= maxHeartbeatsPerSecond) return { intervalMs, timeoutMs, stretch: 1, pingsPerSecond };
  const stretch = pingsPerSecond / maxHeartbeatsPerSecond;
  return { intervalMs: Math.ceil(intervalMs * stretch), timeoutMs: Math.ceil(timeoutMs * stretch), stretch, pingsPerSecond };
}

/** The policy's longest wait between attempts (scenario ms). */
function longestWaitMs(policy: Scenario['policy']): number {
  return policy.kind === 'constant' ? policy.delayMs : policy.capMs;
}

export function machineTiming(scenario: Scenario): MachineTiming {
  const { fleet, timeScale: scale } = scenario;
  const devices = fleet.devices;
  const lines: string[] = [];
  // One pass of the whole fleet through the machine, in real ms.
  const passRealMs = (devices / machineConnectsPerSecond) * 1000;
  // After an outage the policy's first wait spreads the fleet's arrivals.
  // (A boot faster than the machine only delays the online wait, which has
  // a floor of its own below; the recovery is what the run measures.)
  const spreadRealMs = Math.max(1, firstSpreadMs(scenario.policy) / scale);
  const peakArrivalsPerSecond = Math.round((devices * 1000) / spreadRealMs);
  const machineBound = peakArrivalsPerSecond > machineConnectsPerSecond;

  let { connectTimeout: connectTimeoutMs, handshakeTimeout: handshakeTimeoutMs, heartbeatTimeout: heartbeatTimeoutMs } = fleet;
  if (machineBound) {
    // An attempt may queue behind the whole fleet's: a timeout shorter than
    // one pass would count the harness's own queue as the backend's failure.
    const floorMs = Math.ceil(passRealMs * scale);
    const raised = (['connectTimeout', 'handshakeTimeout'] as const).filter((key) => fleet[key] < floorMs);
    connectTimeoutMs = Math.max(connectTimeoutMs, floorMs);
    handshakeTimeoutMs = Math.max(handshakeTimeoutMs, floorMs);
    lines.push(
      `machine-bound: at time scale ${scale}, ${devices} devices arrive at up to ${peakArrivalsPerSecond.toLocaleString('en-US')} per real second;` +
        ` this machine connects about ${machineConnectsPerSecond.toLocaleString('en-US')}/s, so recovery measures the machine, not the policy` +
        ` (${faithfulAdvice(scenario)})`,
    );
    if (raised.length > 0) {
      lines.push(`  ${raised.join(' and ')} raised to ${formatDuration(floorMs)} (${formatDuration(passRealMs)} real: one pass of the fleet through the machine)`);
    }
  }

  const configuredIntervalMs = 'heartbeatInterval' in scenario.target ? scenario.target.heartbeatInterval : undefined;
  let heartbeatIntervalMs = configuredIntervalMs;
  if (configuredIntervalMs !== undefined) {
    const heartbeats = stretchHeartbeats(devices, scale, configuredIntervalMs, heartbeatTimeoutMs);
    if (heartbeats.stretch > 1) {
      ({ intervalMs: heartbeatIntervalMs, timeoutMs: heartbeatTimeoutMs } = heartbeats);
      lines.push(
        `heartbeats stretched x${heartbeats.stretch.toFixed(1)}: every ${formatDuration(configuredIntervalMs)}` +
          ` would be ${Math.round(heartbeats.pingsPerSecond).toLocaleString('en-US')} pings per real second; the backend pings every ${formatDuration(heartbeatIntervalMs)}` +
          ` and devices give up after ${formatDuration(heartbeatTimeoutMs)} (${maxHeartbeatsPerSecond.toLocaleString('en-US')}/s)`,
      );
    }
  }

  // Set-up and recovery take at least what the machine needs for the fleet.
  // Two passes: the machine's rate is an estimate, and a wait that runs out
  // starts the chaos with part of the fleet still booting.
  const onlineFloorMs = Math.ceil(fleet.rampUp + 2 * passRealMs * scale);
  const onlineTimeoutMs = Math.max(scenario.onlineTimeout, onlineFloorMs);
  if (onlineTimeoutMs > scenario.onlineTimeout) lines.push(`online wait raised to ${formatDuration(onlineTimeoutMs)} (the ramp-up plus two passes of the fleet)`);
  // Two passes (a timed-out attempt and its retry) and the policy's longest wait.
  const recoveryFloorMs = Math.ceil(2 * passRealMs * scale + longestWaitMs(scenario.policy));

  return { connectTimeoutMs, handshakeTimeoutMs, heartbeatTimeoutMs, heartbeatIntervalMs, onlineTimeoutMs, recoveryFloorMs, peakArrivalsPerSecond, machineBound, lines };
}
