import { readdirSync, readFileSync } from 'node:fs';

const pageBytes = 4096;
const ticksPerSecond = 100;

/** Fields of /proc/PID/stat after the command name, or undefined if the process is gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

// Indexes after the command name: field 24 of stat (rss, in pages) is 21;
// utime and stime (fields 14 and 15, in clock ticks) are 11 and 12.
const rssOf = (fields: string[]): number => Number(fields[21]) * pageBytes;
const cpuOf = (fields: string[]): number => (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;

/** `measure` summed over every live process of a process group. */
function sumOverGroup(pgid: number, measure: (fields: string[]) => number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    // Field 5 (pgrp) is index 2 after the command name.
    if (fields && Number(fields[2]) === pgid) total += measure(fields);
  }
  return total;
}

/** Resident memory of one process, bytes (0 if gone). */
export function rssBytes(pid: number): number {
  const fields = statFields(pid);
  return fields ? rssOf(fields) : 0;
}

/** Resident memory summed over every process of a process group, bytes. */
export function groupRssBytes(pgid: number): number {
  return sumOverGroup(pgid, rssOf);
}

/** CPU time (user + system) one process has used, seconds (0 if gone). */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields ? cpuOf(fields) : 0;
}

/** CPU time summed over every live process of a process group, seconds. */
export function groupCpuSeconds(pgid: number): number {
  return sumOverGroup(pgid, cpuOf);
}
