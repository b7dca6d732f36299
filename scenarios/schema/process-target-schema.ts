import { z } from 'zod';
import { positiveDuration } from './duration-schema.ts';

const port = z.number().int().min(1).max(65535);

/** How a user's backend shows it is ready: one of a log line, a TCP port, an HTTP URL. */
export const readyCheckSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('log'),
      /** A regular expression; ready once a stdout line matches it. */
      pattern: z.string().min(1).refine((p) => isRegExp(p), 'must be a valid regular expression'),
    }),
    z.strictObject({
      kind: z.literal('tcp'),
      /** Default: the target's port. */
      port: port.optional(),
    }),
    z.strictObject({
      kind: z.literal('http'),
      /** A path on the target ("/health") or a full URL; "{port}" becomes the port. */
      url: z.string().min(1),
    }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? 'unknown ready check kind; valid kinds: log, tcp, http' : undefined) },
);

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * The user's backend, started by the harness from a command line: the
 * harness owns its process group, so process chaos (kill, freeze, stop)
 * applies. "{port}" in `command` and `env` values becomes the port.
 */
export const processTargetSchema = z.strictObject({
  kind: z.literal('process'),
  /** Program and arguments, e.g. ["node", "server.js", "--port", "{port}"]; no shell. */
  command: z.array(z.string().min(1)).min(1),
  /** Working directory of the backend; default: the harness's. */
  cwd: z.string().min(1).optional(),
  /** Added to the harness's environment; "{port}" in a value becomes the port. */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), z.string()).prefault({}),
  /** The port the backend listens on; default: a free port, passed as {port}. */
  port: port.optional(),
  host: z.string().min(1).prefault('127.0.0.1'),
  /** When the backend accepts devices; default: its port accepts TCP. */
  ready: readyCheckSchema.prefault({ kind: 'tcp' }),
  /** How long a start (and each restart) may take until ready; real time. */
  startTimeout: positiveDuration.prefault('30s'),
});

export type ProcessTargetConfig = z.output<typeof processTargetSchema>;
