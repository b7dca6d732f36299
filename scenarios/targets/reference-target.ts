import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../scenario-schema.ts';
import { ManagedProcess } from './managed-process.ts';
import type { StartedTarget, Target, TargetContext } from './target.ts';

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
          backendMain,
          '--host', host,
          '--port', String(port),
          '--db', join(context.runDir, 'backend.db'),
          '--heartbeat-interval-ms', String(heartbeatRealMs),
          '--exit-with-stdin',
        ],
        logPath: join(context.runDir, 'backend.log'),
        readyTimeoutMs: 15_000,
        isReadyLine: (line) => line.includes('"event":"ready"'),
      });
      await process.start();
      return {
        endpoints: { wsBaseUrl: `ws://${host}:${port}`, httpBaseUrl: `http://${host}:${port}` },
        process,
        stop: () => process.stop(),
      };
    },
  };
}
