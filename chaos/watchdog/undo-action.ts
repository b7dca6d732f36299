/**
 * Something the watchdog does if the harness dies with a fault in effect.
 * Plain data: it crosses a pipe to the watchdog process.
 */
export type UndoAction =
  /**
   * Signal a process the harness started (with `group`, the process group it
   * leads); `startTime` (from /proc) guards against PID reuse.
   */
  | { kind: 'signal'; pid: number; signal: 'SIGCONT' | 'SIGKILL' | 'SIGTERM'; startTime?: string; group?: boolean }
  /** Restore a file, such as a cgroup limit, to its former content. */
  | { kind: 'write-file'; path: string; content: string }
  /** Move every process listed in one cgroup.procs file into another. */
  | { kind: 'move-procs'; from: string; to: string }
  /** Remove a directory, such as a cgroup the harness made. */
  | { kind: 'rmdir'; path: string }
  /** An HTTP request, such as deleting a Toxiproxy proxy. */
  | { kind: 'http'; method: 'DELETE' | 'POST' | 'PUT'; url: string; body?: string }
  /**
   * A container engine call on a container the harness started: thaw it,
   * restore its limits (NanoCpus, Memory, MemorySwap as the engine takes
   * them), or remove it (forced, with its anonymous volumes).
   */
  | { kind: 'docker'; op: 'unpause' | 'remove'; container: string }
  | { kind: 'docker'; op: 'update'; container: string; limits: { NanoCpus?: number; Memory?: number; MemorySwap?: number } };

/** The kernel's start time of a process (field 22 of /proc/PID/stat), or undefined. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  const { readFile } = await import('node:fs/promises');
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; count from after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
