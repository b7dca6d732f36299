import { readFileSync } from 'node:fs';
import { AftershockError } from './errors.ts';
import type { Scenario } from './scenario-schema.ts';

/** What the machine offers, as read from /proc (null where it could not be read). */
export interface MachineLimits {
  openFilesPerProcess: number | null;
  localPortRange: [number, number] | null;
  conntrackMax: number | null;
  conntrackInUse: number | null;
  memAvailableMB: number | null;
}

/** Measured on these machines (ws 8, loopback): KB per device, fleet + backend + kernel. */
export const memoryPerDeviceKB = { fleet: 10, backend: 10, kernel: 10 } as const;
/** The machine is never taken below this much available memory. */
export const memoryFloorMB = 2048;
/** Sockets a process keeps for itself (stdio, IPC, sqlite, listeners). */
const fdHeadroom = 500;

function readNumber(path: string): number | null {
  try {
    const value = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

export function readMachineLimits(): MachineLimits {
  let openFiles: number | null = null;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    openFiles = soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    // Not Linux, or /proc is hidden: unknown.
  }
  let range: [number, number] | null = null;
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    range = [low, high];
  } catch {
    // Unknown.
  }
  let available: number | null = null;
  try {
    const kb = readFileSync('/proc/meminfo', 'utf8').match(/^MemAvailable:\s+(\d+) kB/m);
    available = kb ? Math.floor(Number(kb[1]) / 1024) : null;
  } catch {
    // Unknown.
  }
  return {
    openFilesPerProcess: openFiles,
    localPortRange: range,
    conntrackMax: readNumber('/proc/sys/net/netfilter/nf_conntrack_max'),
    conntrackInUse: readNumber('/proc/sys/net/netfilter/nf_conntrack_count'),
    memAvailableMB: available,
  };
}

export interface PreflightResult {
  /** One line per check, for the plan printed at the start of a run. */
  lines: string[];
  /** Problems that stop the run before anything starts. */
  problems: string[];
}

/**
 * Checks, before anything starts, that the machine can hold the fleet the
 * scenario asks for: file descriptors per shard process, ports per source
 * address, connection tracking, and memory above the floor. Pure given the
 * limits, so it can be tested with any machine's numbers.
 */
export function preflight(scenario: Scenario, limits: MachineLimits, options: { loopbackTarget: boolean }): PreflightResult {
  const { devices, devicesPerShard, devicesPerSourceAddress } = scenario.fleet;
  const lines: string[] = [];
  const problems: string[] = [];
  const shards = Math.ceil(devices / devicesPerShard);

  if (limits.openFilesPerProcess !== null) {
    const usable = limits.openFilesPerProcess - fdHeadroom;
    lines.push(`open files: ${limits.openFilesPerProcess} per process; ${shards} fleet shard(s) of up to ${Math.min(devices, devicesPerShard)} devices`);
    if (Math.min(devices, devicesPerShard) > usable) {
      problems.push(
        `fleet.devicesPerShard ${devicesPerShard} exceeds what one process can hold: the open-file limit is ${limits.openFilesPerProcess} per process (${usable} after headroom); set fleet.devicesPerShard to ${usable} or less, or raise the limit (ulimit -n)`,
      );
    }
  }

  if (limits.localPortRange !== null && options.loopbackTarget) {
    const ports = limits.localPortRange[1] - limits.localPortRange[0] + 1;
    const perAddress = devicesPerSourceAddress > 0 ? devicesPerSourceAddress : devices;
    const addresses = devicesPerSourceAddress > 0 ? Math.ceil(devices / devicesPerSourceAddress) : 1;
    lines.push(`ports: ${ports} local ports per source address; ${addresses} source address(es) of up to ${Math.min(perAddress, devices)} devices`);
    if (Math.min(perAddress, devices) > ports) {
      problems.push(
        `${Math.min(perAddress, devices)} devices share one source address, but the local port range (${limits.localPortRange.join('-')}) has only ${ports} ports; set fleet.devicesPerSourceAddress to 250 (spreads over 127.B.x.y)`,
      );
    }
  }

  if (limits.conntrackMax !== null) {
    const free = limits.conntrackMax - (limits.conntrackInUse ?? 0);
    lines.push(`connection tracking: ${limits.conntrackInUse ?? '?'} of ${limits.conntrackMax} entries in use`);
    // Each loopback device connection is one tracked connection; keep 5% free.
    if (devices > free * 0.95) {
      problems.push(
        `${devices} devices need ${devices} tracked connections, but connection tracking has ${free} of ${limits.conntrackMax} free; run at most ${Math.floor(free * 0.95)} devices here, raise net.netfilter.nf_conntrack_max, or spread the fleet over machines (aftershock export k6)`,
      );
    }
  }

  if (limits.memAvailableMB !== null) {
    const perDevice = memoryPerDeviceKB.fleet + (options.loopbackTarget ? memoryPerDeviceKB.backend + memoryPerDeviceKB.kernel : 0);
    const neededMB = Math.ceil((devices * perDevice) / 1024);
    lines.push(`memory: ${limits.memAvailableMB} MB available; about ${neededMB} MB needed, ${memoryFloorMB} MB kept free`);
    if (neededMB > limits.memAvailableMB - memoryFloorMB) {
      const fits = Math.floor(((limits.memAvailableMB - memoryFloorMB) * 1024) / perDevice);
      problems.push(
        `${devices} devices need about ${neededMB} MB, but only ${limits.memAvailableMB - memoryFloorMB} MB are available above the ${memoryFloorMB} MB floor; run at most ${Math.max(0, fits)} devices here, or spread the fleet over machines (aftershock export k6)`,
      );
    }
  }
  return { lines, problems };
}

/** Throws one error listing every problem, before anything is started. */
export function assertPreflight(result: PreflightResult, devices: number): void {
  if (result.problems.length === 0) return;
  throw new AftershockError('preflight-failed', `this machine cannot hold ${devices} devices: ${result.problems.join('; ')}`, { details: result.problems });
}
