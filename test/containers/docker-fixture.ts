// Shared by the container tests: is there a Docker engine, and what to do
// without one. In CI (CI=true) a missing engine fails the tests; on a
// developer machine they are skipped with a note that says how to enable them.
import { inject, test } from 'vitest';
import { WebSocket } from 'ws';
import { probeDocker } from '../../scenarios/targets/container/docker-engine.ts';

export const inCi = !!process.env.CI && !['false', '0'].includes(process.env.CI.toLowerCase());

// Everything these tests make in the engine carries the suite's label (see docker-leftovers.global.ts).
process.env.AFTERSHOCK_DOCKER_LABELS = [process.env.AFTERSHOCK_DOCKER_LABELS, inject('dockerSuiteLabel')].filter(Boolean).join(',');

const probe = await probeDocker();
export const dockerAvailable = probe.ok;
const howTo = 'install Docker (Debian: apt-get install -y docker.io), start it (`dockerd --bridge=none --iptables=false &`), check `docker info`, and run again';

if (!probe.ok && !inCi) console.warn(`skipping the container tests: no Docker engine (${probe.reason}); ${howTo}`);

/**
 * Call once per container test file: in CI without Docker this adds a
 * failing test (the suite must not pass by skipping); elsewhere nothing.
 */
export function requireDockerInCi(): void {
  if (!probe.ok && inCi) {
    test('a Docker engine is available (required in CI)', () => {
      throw new Error(`CI=true but no Docker engine answered: ${probe.reason}; .ci/run starts dockerd (${howTo})`);
    });
  }
}

/** One device handshake: resolves 'welcome', an 'http NNN' rejection, 'timeout', or 'error CODE'. */
export function handshake(wsBaseUrl: string, deviceId: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${wsBaseUrl}/devices`, { perMessageDeflate: false });
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (result: string): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
      resolve(result);
    };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'hello', deviceId, token: 't' })));
    socket.on('message', (data) => finish((JSON.parse(data.toString()) as { type: string }).type));
    socket.on('unexpected-response', (_req, res) => finish(`http ${res.statusCode}`));
    socket.on('error', (error) => finish(`error ${(error as NodeJS.ErrnoException).code ?? error.message}`));
  });
}

/**
 * Handshakes per second of real time: `concurrency` clients each open a
 * connection, say hello, wait for the welcome, close, and go again, for
 * `durationMs`. Counts welcomes only.
 */
export async function handshakeThroughput(wsBaseUrl: string, options: { durationMs: number; concurrency: number }): Promise<number> {
  const started = performance.now();
  const endAt = started + options.durationMs;
  let welcomes = 0;
  let next = 0;
  const client = async (): Promise<void> => {
    while (performance.now() < endAt) {
      const result = await handshake(wsBaseUrl, `tp-${next++}`, Math.max(1, endAt - performance.now()));
      if (result === 'welcome') welcomes++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  return (welcomes * 1000) / (performance.now() - started);
}
