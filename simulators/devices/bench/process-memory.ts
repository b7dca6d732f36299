import { readdirSync, readFileSync } from 'node:fs';

const pageBytes = 4096;

/** Fields of /proc/PID/stat after the command name, or undefined if the process is gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Resident memory of one process, bytes (0 if gone). */
export function rssBytes(pid: number): number {
  const fields = statFields(pid);
  // Field 24 of stat (rss, in pages) is index 21 after the command name.
  return fields ? Number(fields[21]) * pageBytes : 0;
}

/** Resident memory summed over every process of a process group, bytes. */
export function groupRssBytes(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    // Field 5 (pgrp) is index 2 after the command name.
    if (fields && Number(fields[2]) === pgid) total += Number(fields[21]) * pageBytes;
  }
  return total;
}

const ticksPerSecond = 100;

/** CPU time (user + system) one process has used, seconds (0 if gone). */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // utime and stime (fields 14 and 15, in clock ticks) are indexes 11 and 12.
  return fields ? (Number(fields[11]) + Number(fields[12])) / ticksPerSecond : 0;
}

/** CPU time summed over every live process of a process group, seconds. */
export function groupCpuSeconds(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields && Number(fields[2]) === pgid) total += (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  }
  return total;
}
