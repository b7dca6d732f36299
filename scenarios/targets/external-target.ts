import type { ExternalTargetConfig, HookChaosKind } from '../schema/external-target-schema.ts';
import { runHook } from './hook-command.ts';
import { resolveReadyCheck } from './process-target.ts';
import { waitForReady } from './ready-check.ts';
import type { StartedTarget, Target, TargetHooks } from './target.ts';

/**
 * A backend running elsewhere: start only waits until it is ready; stop does
 * nothing to it. Chaos reaches it through the network proxy and the user's
 * hook commands.
 */
export function externalTarget(config: ExternalTargetConfig): Target {
  const url = new URL(config.url);
  const secure = url.protocol === 'wss:';
  const port = Number(url.port || (secure ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const subject = `external target ${config.url}`;
  const check = resolveReadyCheck(config.ready, host, port);
  if (check.kind === 'log') throw new Error(`${subject}: a log-line ready check needs a process the harness starts; use tcp or http`);
  const hookFor = (kind: HookChaosKind): TargetHooks[HookChaosKind] => {
    const pair = config.hooks[kind];
    if (!pair) return undefined;
    return {
      inject: () => runHook(`${subject}, ${kind} hook`, { command: pair.inject.run, timeoutMs: pair.inject.timeout }).then(() => undefined),
      undo: async () => {
        await runHook(`${subject}, ${kind} undo hook`, { command: pair.undo.run, timeoutMs: pair.undo.timeout });
        // A freeze's undo thaws a process that is already listening; a restart must listen again.
        if (kind !== 'freeze') await waitForReady(`${subject} after the ${kind} undo hook`, check, config.readyTimeout);
      },
    };
  };
  return {
    kind: 'external',
    description: `${subject} (not started by the harness)`,
    async start(): Promise<StartedTarget> {
      await waitForReady(subject, check, config.readyTimeout);
      return {
        endpoints: { wsBaseUrl: config.url, httpBaseUrl: `${secure ? 'https' : 'http'}://${url.host}` },
        hooks: { kill: hookFor('kill'), freeze: hookFor('freeze'), stop: hookFor('stop') },
        stop: async () => {},
      };
    },
  };
}
