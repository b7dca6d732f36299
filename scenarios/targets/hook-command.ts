import { spawn } from 'node:child_process';
import { AftershockError } from '../errors.ts';

/** A user-supplied shell command (e.g. `systemctl kill my-backend`) with its time budget. */
export interface HookCommand {
  /** Run by the shell (`sh -c`), so pipes and `&&` work. */
  command: string;
  /** Real ms the command may take; past it the command's process group is killed. */
  timeoutMs: number;
}

/**
 * Runs a hook and resolves once it exited 0. Rejects, naming the hook, the
 * command, the budget and the last output, if it exits non-zero, cannot be
 * started or outlives its timeout (then its whole process group is killed,
 * so nothing it started in the foreground lingers).
 */
export function runHook(subject: string, hook: HookCommand, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(hook.command, { shell: true, detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-2000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const last = (): string => {
      const text = output.trim().split('\n').slice(-3).join(' | ');
      return text ? `"${text.slice(0, 400)}"` : '(none)';
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, hook.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new AftershockError('hook-failed', `${subject}: hook "${hook.command}" could not be started (${error.message})`, { exitCode: 1 }));
    });
    // 'close', not 'exit': a hook that backgrounds a server must not hold our pipes (redirect its output).
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new AftershockError('hook-timeout', `${subject}: hook "${hook.command}" did not finish within ${hook.timeoutMs} ms and was killed; last output: ${last()}`, { exitCode: 1 }));
      } else if (code !== 0) {
        reject(new AftershockError('hook-failed', `${subject}: hook "${hook.command}" exited with code ${code}${signal ? ` (signal ${signal})` : ''}; last output: ${last()}`, { exitCode: 1 }));
      } else {
        resolve(output);
      }
    });
  });
}
