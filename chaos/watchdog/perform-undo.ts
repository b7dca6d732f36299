import { readFile, rmdir, writeFile } from 'node:fs/promises';
import { processStartTime, type UndoAction } from './undo-action.ts';

/** Performs one undo action; never throws, returns what happened for the log. */
export async function performUndo(action: UndoAction, timeoutMs = 2000): Promise<string> {
  try {
    switch (action.kind) {
      case 'signal': {
        // Only the process we started: same PID and same kernel start time.
        if (action.startTime !== undefined && (await processStartTime(action.pid)) !== action.startTime) {
          return `skip ${action.signal} ${action.pid}: not the process we started (gone or PID reused)`;
        }
        if (action.group) {
          try {
            process.kill(-action.pid, action.signal);
            return `${action.signal} group ${action.pid}`;
          } catch {
            // Not a group leader after all: signal the process alone.
          }
        }
        process.kill(action.pid, action.signal);
        return `${action.signal} ${action.pid}`;
      }
      case 'write-file':
        await writeFile(action.path, action.content);
        return `restored ${action.path}`;
      case 'move-procs': {
        const pids = (await readFile(action.from, 'utf8')).split('\n').filter(Boolean);
        for (const pid of pids) await writeFile(action.to, pid).catch(() => undefined);
        return `moved ${pids.length} processes from ${action.from}`;
      }
      case 'rmdir': {
        // A process killed inside a cgroup keeps it busy for a moment.
        for (let attempt = 0; ; attempt++) {
          try {
            await rmdir(action.path);
            return `removed ${action.path}`;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || attempt >= 20) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }
      case 'http': {
        const response = await fetch(action.url, { method: action.method, body: action.body, signal: AbortSignal.timeout(timeoutMs) });
        return `${action.method} ${action.url}: ${response.status}`;
      }
    }
  } catch (error) {
    return `failed ${action.kind}: ${(error as Error).message}`;
  }
}
