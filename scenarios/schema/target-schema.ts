import { z } from 'zod';
import { positiveDuration } from './duration-schema.ts';
import { memorySizeMB } from './memory-size-schema.ts';
import { externalTargetSchema } from './external-target-schema.ts';
import { processTargetSchema } from './process-target-schema.ts';
import { scenarioRate } from './rate-schema.ts';

/**
 * Handshakes the reference backend admits per second of scenario time,
 * evenly spaced; beyond it devices get HTTP 503 (`--accept-rate`, passed in
 * real time: times the time scale). Default: no limit.
 */
const acceptRate = scenarioRate.optional();

const referenceTargetSchema = z.strictObject({
  kind: z.literal('reference'),
  /** How often the backend pings each device. */
  heartbeatInterval: positiveDuration.prefault('30s'),
  /** Optional fixed port; by default a free port is chosen. */
  port: z.number().int().min(1).max(65535).optional(),
  acceptRate,
});

/**
 * A backend in a container started through the container engine
 * (Testcontainers), with host networking so that it listens on this
 * machine's loopback, and real CPU and memory limits.
 */
const containerTargetSchema = z
  .strictObject({
    kind: z.literal('container'),
    /** The image to run; default: the reference backend's image (`aftershock image build`). */
    image: z.string().min(1).optional(),
    /** The port the backend listens on; default: a free port, passed to the image as {port} in `command` and `env`. */
    port: z.number().int().min(1).max(65535).optional(),
    /** Environment of the container; "{port}" in a value becomes the port. */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), z.string()).prefault({}),
    /** Arguments after the image's entry point; "{port}" becomes the port. Default for the reference image: its flags. */
    command: z.array(z.string()).optional(),
    /** CPU limit in cores (0.5: half of one core); default: none. */
    cpus: z.number().min(0.01).max(64).optional(),
    /** Memory limit in MB, or "512m" / "2g"; swap is not allowed beyond it. Default: none. */
    memory: memorySizeMB.pipe(z.number().min(32, 'must be at least 32 MB: a Node backend needs about 40 MB to start')).optional(),
    /** Ready once a line of the container's output contains this; default for the reference image: its ready line. */
    readyLine: z.string().min(1).optional(),
    /** Ready once GET on this path answers 2xx (instead of a ready line). */
    readyPath: z.string().startsWith('/').optional(),
    /** How long a start may take until ready; real time (the engine is not scaled). */
    startTimeout: positiveDuration.prefault('60s'),
    /** How often the reference backend pings each device (passed to the reference image only). */
    heartbeatInterval: positiveDuration.prefault('30s'),
    /** Handshakes per second of scenario time (passed to the reference image only, with its default command). */
    acceptRate,
  })
  .refine((t) => t.readyLine === undefined || t.readyPath === undefined, { message: 'give readyLine or readyPath, not both', path: ['readyPath'] })
  // Another image, or the reference image with a command of the user's, would never see the flag, and the plan would assume a limit nobody enforces.
  .refine((t) => t.acceptRate === undefined || t.image === undefined, {
    message: 'is passed to the reference backend\'s image only; leave image out to run it, or drop acceptRate and limit your backend yourself',
    path: ['acceptRate'],
  })
  .refine((t) => t.acceptRate === undefined || t.command === undefined, {
    message: 'is passed as --accept-rate in the reference image\'s default command; with a command of your own, drop acceptRate and add --accept-rate (real handshakes per second) to it',
    path: ['acceptRate'],
  });

export const targetKinds = ['reference', 'container', 'process', 'external'] as const;

export const targetSchema = z.discriminatedUnion('kind', [referenceTargetSchema, containerTargetSchema, processTargetSchema, externalTargetSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? `unknown target kind; valid kinds: ${targetKinds.join(', ')}` : undefined),
});
