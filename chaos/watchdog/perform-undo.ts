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
      case 'docker': {
        // The engine may be slow to remove a container; still, never wait on it for ever.
        const budgetMs = Math.max(timeoutMs, 30_000);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from the container engine within ${budgetMs} ms`)), budgetMs);
        });
        try {
          return await Promise.race([performDockerUndo(action), timeout]);
        } finally {
          clearTimeout(timer);
        }
      }
    }
  } catch (error) {
    return `failed ${action.kind}: ${(error as Error).message}`;
  }
}

/**
 * Through the same engine client as the harness (testcontainers finds it the
 * same way), loaded only when a container fault is undone. A container
 * already gone counts as done.
 */
async function performDockerUndo(action: Extract<UndoAction, { kind: 'docker' }>): Promise<string> {
  const { dockerClient, engineStatus } = await import('../../scenarios/targets/container/docker-engine.ts');
  const container = (await dockerClient()).container.dockerode.getContainer(action.container);
  const short = action.container.slice(0, 12);
  try {
    if (action.op === 'unpause') await container.unpause();
    else if (action.op === 'update') await container.update(action.limits);
    else await container.remove({ force: true, v: true });
    return `docker ${action.op} ${short}`;
  } catch (error) {
    const status = engineStatus(error);
    // 404: no such container; 409 on unpause: not paused.
    if (status === 404 || (status === 409 && action.op === 'unpause')) return `docker ${action.op} ${short}: nothing to do (${status})`;
    throw error;
  }
}
