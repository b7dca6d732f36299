import { z } from 'zod';
import { duration, positiveDuration } from './duration-schema.ts';
import { memorySizeMB } from './memory-size-schema.ts';

/**
 * Chaos events as written in a scenario. Every event has `at` (scenario time
 * after the whole fleet is first online) and `for` (how long the fault lasts
 * before it is undone), so every fault is bounded in time. Sizes are bounded
 * by the schema too.
 */
const timing = {
  /** When, after the whole fleet is first online. */
  at: duration,
  /** How long the fault lasts before it is undone. */
  for: positiveDuration,
  /** A label for reports (default: the kind). */
  label: z.string().max(80).optional(),
};

/** After a restart, the backend can be held closed (devices get 503) for a while, as while the database was checked. */
const restart = {
  holdClosed: duration.prefault(0),
};

const killEvent = z.strictObject({
  kind: z.literal('kill'),
  ...timing,
  ...restart,
});

/** A graceful stop (SIGTERM) that is forced with SIGKILL after `grace` if the backend does not exit. */
const stopEvent = z.strictObject({
  kind: z.literal('stop'),
  ...timing,
  grace: positiveDuration.prefault('30s'),
  ...restart,
});

/** SIGSTOP, undone by SIGCONT: TCP still accepts, nothing answers. */
const freezeEvent = z.strictObject({
  kind: z.literal('freeze'),
  ...timing,
});

/** The backend burns its own event loop at a duty cycle (1: the incident's 100% CPU). */
const cpuHogEvent = z.strictObject({
  kind: z.literal('cpu-hog'),
  ...timing,
  dutyCycle: z.number().gt(0).max(1).prefault(1),
});

/** Burner processes compete for the backend's cores. */
const cpuBurnEvent = z.strictObject({
  kind: z.literal('cpu-burn'),
  ...timing,
  /** Number of burner processes (default: one per core). */
  burners: z.number().int().min(1).max(64).optional(),
});

/** A CPU quota on the backend's cgroup, in cores (0.1: a tenth of one core). */
const cpuQuotaEvent = z.strictObject({
  kind: z.literal('cpu-quota'),
  ...timing,
  cpus: z.number().min(0.01).max(64),
});

/** A noisy-neighbour process that grows at a rate up to a bound, never below the free-memory floor. */
const memoryHogEvent = z.strictObject({
  kind: z.literal('memory-hog'),
  ...timing,
  rateMBps: z.number().gt(0).max(10_240).prefault(256),
  limitMB: z.number().int().min(1).max(1_048_576),
  /** Never take the machine below this much available memory; 2 GiB is the least allowed. */
  floorMB: z.number().int().min(2048, 'must be at least 2048: the machine is never taken below 2 GiB available').prefault(2048),
  /** Put the backend and the hog in one memory-limited cgroup of this size, so pressure or the OOM killer reaches the backend. */
  cgroupLimitMB: z.number().int().min(16).optional(),
  /** What the full cgroup does: the OOM killer ends a process, or (stall) every process waits for memory, as a host with no memory left does. */
  onLimit: z.enum(['oom-kill', 'stall']).prefault('oom-kill'),
});

const toxicSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('latency'), latencyMs: z.number().min(0), jitterMs: z.number().min(0).prefault(0) }),
  z.strictObject({ type: z.literal('bandwidth'), rateKBps: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('slow_close'), delayMs: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('timeout'), timeoutMs: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('reset_peer'), timeoutMs: z.number().int().min(0).prefault(0) }),
  z.strictObject({
    type: z.literal('slicer'),
    averageSize: z.number().int().min(1),
    sizeVariation: z.number().int().min(0).prefault(0),
    delayUs: z.number().int().min(0).prefault(0),
  }),
  z.strictObject({ type: z.literal('limit_data'), bytes: z.number().int().min(0) }),
  /** The whole proxy disabled: new connects refused, open ones closed. */
  z.strictObject({ type: z.literal('down') }),
]);

/** A network fault between the devices and the backend, through a Toxiproxy proxy. */
const networkEvent = z.strictObject({
  kind: z.literal('network'),
  ...timing,
  toxic: toxicSchema,
  /** Which direction: upstream (devices to backend) or downstream (backend to devices). */
  stream: z.enum(['upstream', 'downstream']).prefault('downstream'),
  /** Share of connections affected, 0 to 1. */
  toxicity: z.number().min(0).max(1).prefault(1),
});

/** Container chaos: through the container engine, on a container target. */

/** SIGKILL through the engine (`docker kill`); the container is started again after `for` (held closed first if asked: the reference image can). */
const containerKillEvent = z.strictObject({
  kind: z.literal('container-kill'),
  ...timing,
  ...restart,
});

/** SIGTERM through the engine, SIGKILL if the container has not exited after `grace` (forced); started again after `for`, held closed first if asked. */
const containerStopEvent = z.strictObject({
  kind: z.literal('container-stop'),
  ...timing,
  grace: positiveDuration.prefault('30s'),
  ...restart,
});

/** Freezes every process of the container (`docker pause`, the cgroup freezer); `docker unpause` on undo. */
const containerPauseEvent = z.strictObject({
  kind: z.literal('container-pause'),
  ...timing,
});

/** Changes the container's limits while it runs (`docker update`); the former limits come back on undo. */
const containerResizeEvent = z
  .strictObject({
    kind: z.literal('container-resize'),
    ...timing,
    /** CPU limit in cores. */
    cpus: z.number().min(0.01).max(64).optional(),
    /** Memory limit in MB or "512m"; the target must have a memory limit to return to. */
    memory: memorySizeMB.pipe(z.number().min(32, 'must be at least 32 MB')).optional(),
  })
  .refine((e) => e.cpus !== undefined || e.memory !== undefined, { message: 'give cpus, memory or both' });

/** A memory hog inside the container grows into the container's memory limit until the OOM killer ends the backend; started again after `for`. */
const containerOomEvent = z.strictObject({
  kind: z.literal('container-oom'),
  ...timing,
  /** How fast the hog grows, in MB per second of real time. */
  rateMBps: z.number().gt(0).max(10_240).prefault(512),
});

/** `docker restart`: SIGTERM, SIGKILL after `grace`, start again at once. */
const containerRestartEvent = z.strictObject({
  kind: z.literal('container-restart'),
  ...timing,
  grace: duration.prefault('10s'),
});

const chaosSchemas = [
  killEvent, stopEvent, freezeEvent, cpuHogEvent, cpuBurnEvent, cpuQuotaEvent, memoryHogEvent, networkEvent,
  containerKillEvent, containerStopEvent, containerPauseEvent, containerResizeEvent, containerOomEvent, containerRestartEvent,
] as const;

export const chaosKinds = chaosSchemas.map((s) => s.shape.kind.value);

export const chaosEventSchema = z.discriminatedUnion('kind', [...chaosSchemas], {
  error: (issue) => (issue.code === 'invalid_union' ? `unknown chaos kind; valid kinds: ${chaosKinds.join(', ')}` : undefined),
});

export type ChaosEventOf<K extends z.output<typeof chaosEventSchema>['kind']> = Extract<z.output<typeof chaosEventSchema>, { kind: K }>;
export type Toxic = z.output<typeof toxicSchema>;
