// Small readers of /proc for the resource injectors and their child programs.
// Synchronous on purpose: the memory hog reads MemAvailable between two
// allocation steps and must not yield to do so.
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second for /proc/PID/stat times (USER_HZ, 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

/** MemAvailable from /proc/meminfo, in MB (MiB), or undefined where there is no /proc/meminfo. */
export function readMemAvailableMB(procDir = '/proc'): number | undefined {
  try {
    const match = readFileSync(`${procDir}/meminfo`, 'utf8').match(/^MemAvailable:\s+(\d+) kB$/m);
    return match ? Math.floor(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of /proc/PID/stat after the command name (field 3, the state, is index 0). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; count from after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in ms; undefined once it is gone. */
export function cpuTimeMs(pid: number): number | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  // utime and stime are fields 14 and 15 of /proc/PID/stat.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * True while the process runs and is the one we mean: same PID, same kernel
 * start time (when given), and not a zombie waiting to be reaped.
 */
export function isAlive(pid: number, startTime?: string): boolean {
  const fields = statFields(pid);
  if (!fields) return false;
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return startTime === undefined || fields[19] === startTime;
}

/** Resident memory of a process (VmRSS), in MB; undefined once it is gone. */
export function residentMB(pid: number): number | undefined {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Every descendant of `pid` (children, grandchildren, ...), found by scanning /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields) parentOf.set(Number(entry), Number(fields[1]));
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** How many CPUs a process may run on (its Cpus_allowed_list), or undefined once it is gone. */
export function allowedCpuCount(pid: number): number | undefined {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Cpus_allowed_list:\s+(.+)$/m);
    if (!match) return undefined;
    let count = 0;
    for (const range of match[1].trim().split(',')) {
      const [from, to] = range.split('-').map(Number);
      count += to === undefined ? 1 : to - from + 1;
    }
    return count;
  } catch {
    return undefined;
  }
}
