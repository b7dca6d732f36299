import { z } from 'zod';
import { positiveDuration } from './duration-schema.ts';
import { readyCheckSchema } from './process-target-schema.ts';

/** A shell command with a time budget (real time: hooks act on a real system). */
const hookSchema = z.strictObject({
  /** Run by the shell, e.g. "systemctl kill -s KILL my-backend" or "kubectl delete pod -l app=hub". */
  run: z.string().min(1),
  timeout: positiveDuration.prefault('30s'),
});

/** A fault through the user's own commands: `inject` starts it, `undo` ends it (restart, thaw). */
const hookPairSchema = z.strictObject({
  inject: hookSchema,
  undo: hookSchema,
});

/**
 * A backend already running elsewhere, reached at `url`. The harness does not
 * own it: only network chaos (through a Toxiproxy in front of it) and the
 * user's hook commands apply; chaos on a non-loopback host needs it in
 * remoteTargets and --allow-remote.
 */
export const externalTargetSchema = z.strictObject({
  kind: z.literal('external'),
  /** Base WebSocket URL, e.g. "ws://10.0.0.5:8080" (the protocol adds the path). */
  url: z.string().regex(/^wss?:\/\/[^/]+$/, 'must be ws://host:port or wss://host:port, without a path'),
  /** How to tell it is up (at the start and after an undo hook); default: its port accepts TCP. */
  ready: readyCheckSchema.prefault({ kind: 'tcp' }),
  /** How long the backend may take to be ready, at the start and after each undo hook; real time. */
  readyTimeout: positiveDuration.prefault('30s'),
  /** Hooks for the chaos kinds kill, freeze and stop; a kind without one is refused before the run. */
  hooks: z
    .strictObject({
      kill: hookPairSchema.optional(),
      freeze: hookPairSchema.optional(),
      stop: hookPairSchema.optional(),
    })
    .prefault({}),
});

export type ExternalTargetConfig = z.output<typeof externalTargetSchema>;
export type HookChaosKind = keyof ExternalTargetConfig['hooks'];
