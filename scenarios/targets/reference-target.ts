import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../scenario-schema.ts';
import { ManagedProcess } from './managed-process.ts';
import type { StartedTarget, Target, TargetAdmin, TargetContext } from './target.ts';
import { ownNodeArgs } from '../runtime/own-node.ts';

type ReferenceTargetConfig = Extract<Scenario['target'], { kind: 'reference' }>;

const backendMain = fileURLToPath(new URL('../../simulators/backend/main.ts', import.meta.url));

/** Asks the OS for a free loopback port (the backend must restart on the same one). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.listen(0, host, resolve).once('error', reject));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port from the OS');
  return address.port;
}

/** The reference backend's admin routes (see simulators/backend/http-api.ts). */
export function referenceAdmin(httpBaseUrl: string): TargetAdmin {
  const call = async (method: string, path: string, body?: object): Promise<void> => {
    const response = await fetch(`${httpBaseUrl}${path}`, {
      method,
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`reference backend at ${httpBaseUrl}: ${method} ${path} answered ${response.status}: ${await response.text()}`);
  };
  return {
    holdClosedArgs: ['--hold-closed'],
    listenAtArgs: (epochMs) => ['--listen-at', String(Math.round(epochMs))],
    open: () => call('POST', '/admin/open'),
    startCpuHog: (dutyCycle, durationMs) => call('POST', '/admin/chaos/cpu', { dutyCycle, durationMs }),
    stopCpuHog: () => call('DELETE', '/admin/chaos/cpu'),
  };
}

/**
 * `--accept-rate` for a scenario's `acceptRate` (handshakes per second of
 * scenario time): the backend counts real seconds, and a time scale of 20
 * puts 20 scenario seconds into each, so 40/s in the scenario is 800/s real.
 */
export function acceptRateArgs(acceptRate: number | undefined, timeScale: number): string[] {
  return acceptRate === undefined ? [] : ['--accept-rate', String(acceptRate * timeScale)];
}

/** The built-in reference backend, run as a child process the harness owns. */
export function referenceTarget(config: ReferenceTargetConfig): Target {
  return {
    kind: 'reference',
    description: 'reference backend (simulators/backend)',
    async start(context: TargetContext): Promise<StartedTarget> {
      const host = '127.0.0.1';
      const port = config.port ?? (await freePort(host));
      const heartbeatRealMs = Math.max(5, Math.round(config.heartbeatInterval / context.timeScale));
      const process = new ManagedProcess({
        name: `reference backend on ${host}:${port}`,
        command: globalThis.process.execPath,
        args: [
          ...ownNodeArgs(),
          backendMain,
          '--host', host,
          '--port', String(port),
          '--db', join(context.runDir, 'backend.db'),
          '--heartbeat-interval-ms', String(heartbeatRealMs),
          ...acceptRateArgs(config.acceptRate, context.timeScale),
          '--exit-with-stdin',
          ...(context.originUrl === undefined ? [] : ['--origin-url', context.originUrl]),
          // One process holds at most ~20k sockets here: past 16k devices the
          // backend becomes a supervisor plus workers sharing the port, all in
          // one process group, so process chaos still hits the whole backend.
          ...(context.expectedConnections === undefined ? [] : ['--workers', 'auto', '--expected-connections', String(context.expectedConnections)]),
        ],
        logPath: join(context.runDir, 'backend.log'),
        readyTimeoutMs: 15_000,
        isReadyLine: (line) => line.includes('"event":"ready"'),
      });
      await process.start();
      const httpBaseUrl = `http://${host}:${port}`;
      return {
        endpoints: { wsBaseUrl: `ws://${host}:${port}`, httpBaseUrl },
        process,
        admin: referenceAdmin(httpBaseUrl),
        stop: () => process.stop(),
      };
    },
  };
}
