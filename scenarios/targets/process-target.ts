import { join } from 'node:path';
import type { ProcessTargetConfig } from '../schema/process-target-schema.ts';
import { ManagedProcess } from './managed-process.ts';
import { describeReadyCheck, probeOnce, type ReadyCheck } from './ready-check.ts';
import { freePort } from './reference-target.ts';
import type { StartedTarget, Target, TargetContext } from './target.ts';

/** Replaces every "{port}" in `text`. */
function withPort(text: string, port: number): string {
  return text.replaceAll('{port}', String(port));
}

/** The scenario's ready check with the port and host filled in. */
export function resolveReadyCheck(ready: ProcessTargetConfig['ready'], host: string, port: number): ReadyCheck {
  switch (ready.kind) {
    case 'log':
      return ready;
    case 'tcp':
      return { kind: 'tcp', host, port: ready.port ?? port };
    case 'http': {
      const url = withPort(ready.url, port);
      return { kind: 'http', url: url.startsWith('/') ? `http://${host}:${port}${url}` : url };
    }
  }
}

/**
 * The user's backend, started from a command line as a process group the
 * harness owns: it is ready when its ready check passes, and process chaos
 * (kill, freeze, stop) applies to it as to the reference backend.
 */
export function processTarget(config: ProcessTargetConfig): Target {
  const [program, ...args] = config.command;
  return {
    kind: 'process',
    description: `process target "${config.command.join(' ')}"`,
    async start(context: TargetContext): Promise<StartedTarget> {
      const { host } = config;
      const port = config.port ?? (await freePort(host));
      const check = resolveReadyCheck(config.ready, host, port);
      const env = { ...globalThis.process.env };
      for (const [name, value] of Object.entries(config.env)) env[name] = withPort(value, port);
      const pattern = check.kind === 'log' ? new RegExp(check.pattern) : undefined;
      const process = new ManagedProcess({
        name: `process target "${config.command.join(' ')}" (port ${port})`,
        command: program!,
        args: args.map((arg) => withPort(arg, port)),
        env,
        cwd: config.cwd,
        logPath: join(context.runDir, 'backend.log'),
        readyTimeoutMs: config.startTimeout,
        awaiting: describeReadyCheck(check),
        isReadyLine: (line) => pattern?.test(line) ?? false,
        readyProbe: check.kind === 'log' ? undefined : () => probeOnce(check),
      });
      try {
        await process.start();
      } catch (error) {
        // Closes its log too, so a failed start leaves nothing open.
        await process.stop();
        throw error;
      }
      const hostInUrl = host.includes(':') ? `[${host}]` : host;
      return {
        endpoints: { wsBaseUrl: `ws://${hostInUrl}:${port}`, httpBaseUrl: `http://${hostInUrl}:${port}` },
        process,
        stop: () => process.stop(),
      };
    },
  };
}
