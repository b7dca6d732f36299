import { connect } from 'node:net';
import { AftershockError } from '../errors.ts';

/**
 * How a target shows it accepts devices. Each kind is checked while the
 * backend's process runs (or, for an external target, until the budget ends).
 */
export type ReadyCheck =
  | { kind: 'log'; /** A regular expression matched against each stdout line. */ pattern: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'http'; /** Ready once GET answers 2xx. */ url: string };

/** The check in words, for messages ("a TCP connect to 127.0.0.1:4000"). */
export function describeReadyCheck(check: ReadyCheck): string {
  switch (check.kind) {
    case 'log':
      return `a stdout line matching /${check.pattern}/`;
    case 'tcp':
      return `a TCP connect to ${check.host}:${check.port}`;
    case 'http':
      return `GET ${check.url} answering 2xx`;
  }
}

/** One poll of a TCP or HTTP check: never throws, says what it saw. */
export async function probeOnce(check: Exclude<ReadyCheck, { kind: 'log' }>, timeoutMs = 1000): Promise<{ ready: boolean; seen: string }> {
  if (check.kind === 'tcp') {
    return new Promise((resolve) => {
      const socket = connect({ host: check.host, port: check.port });
      const finish = (ready: boolean, seen: string): void => {
        socket.destroy();
        resolve({ ready, seen });
      };
      socket.setTimeout(timeoutMs, () => finish(false, `no answer within ${timeoutMs} ms`));
      socket.once('connect', () => finish(true, 'connected'));
      socket.once('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
    });
  }
  try {
    const response = await fetch(check.url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { ready: response.ok, seen: `HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { ready: false, seen: cause?.code ?? (error as Error).message };
  }
}

/**
 * Polls a TCP or HTTP check until it passes; rejects after `timeoutMs` with
 * what was awaited and what the last poll saw.
 */
export async function waitForReady(subject: string, check: Exclude<ReadyCheck, { kind: 'log' }>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '(no answer yet)';
  while (Date.now() < deadline) {
    const result = await probeOnce(check, Math.min(1000, Math.max(50, deadline - Date.now())));
    seen = result.seen;
    if (result.ready) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new AftershockError('target-not-ready', `${subject} was not ready within ${timeoutMs} ms (awaited ${describeReadyCheck(check)}); last check saw: ${seen}`);
}
