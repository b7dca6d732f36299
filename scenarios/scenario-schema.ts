import { z } from 'zod';
import { chaosEventSchema } from './schema/chaos-schema.ts';
import { duration, positiveDuration } from './schema/duration-schema.ts';
import { integritySchema, maxRealWritesPerSecond } from './schema/integrity-schema.ts';
import { policySchema } from './schema/policy-schema.ts';
import { protocolSchema } from './schema/protocol-schema.ts';
import { targetSchema } from './schema/target-schema.ts';
import { thresholdsSchema } from './schema/thresholds-schema.ts';

/**
 * The scenario schema: what a user writes (durations as "90s"/"6m" or ms,
 * optional fields) on the input side, and the normalised scenario the core
 * sees (every duration in ms, every default filled in) on the output side.
 * Objects are strict: an unknown key is an error, not silently ignored.
 */

const fleetSchema = z.strictObject({
  devices: z.number().int('must be a whole number of devices').min(1, 'needs at least 1 device').max(1_000_000),
  /** Devices boot at uniform random times over this span. */
  rampUp: duration.prefault('10s'),
  /** An attempt fails when TCP has not connected within this. */
  connectTimeout: positiveDuration.prefault('10s'),
  /** An attempt fails when the welcome has not arrived this long after TCP connected. */
  handshakeTimeout: positiveDuration.prefault('10s'),
  /** An online device gives up on a connection that has not pinged for this long. */
  heartbeatTimeout: positiveDuration.prefault('75s'),
  /** Devices per shard process; each process may hold at most about 19,980 sockets. */
  devicesPerShard: z.number().int().min(1).max(19_000, 'one process holds at most about 19,980 sockets; 19,000 leaves headroom').prefault(16_000),
  /** Devices per loopback source address (127.B.x.y, see source-addresses.ts); 0 lets the OS choose. */
  devicesPerSourceAddress: z.number().int().min(0).max(28_000).prefault(250),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lowercase letters, digits and dashes'),
    description: z.string().prefault(''),
    seed: z.union([z.string().min(1), z.number().int()]).prefault('aftershock'),
    /** Every duration is divided by this in real time (60: a minute takes a second). */
    timeScale: z.number().min(1, 'must be at least 1 (1 is real time)').max(10_000).prefault(1),
    fleet: fleetSchema,
    policy: policySchema.prefault({ kind: 'seed' }),
    target: targetSchema.prefault({ kind: 'reference' }),
    /** How devices speak to the target (the protocol adapter). */
    protocol: protocolSchema.prefault({ kind: 'reference' }),
    chaos: z.array(chaosEventSchema).prefault([]),
    /** Non-loopback hosts chaos may act on (also needs --allow-remote). */
    remoteTargets: z.array(z.string().min(1)).prefault([]),
    /** How long the fleet may take to come online before chaos starts. */
    onlineTimeout: positiveDuration.prefault('5m'),
    /** Keep recording this long after every device is back. */
    settle: duration.prefault('10s'),
    /** The run stops at this scenario time after the fleet started, recovered or not. */
    deadline: positiveDuration.prefault('30m'),
    /** Nothing lost, content keeps showing, the API under the storm: see scenarios/schema/integrity-schema.ts. Off when absent. */
    integrity: integritySchema.optional(),
    /** k6-style pass/fail conditions on the run's metrics (`'recovery.t99': ['<6m']`); a breach exits 1. */
    thresholds: thresholdsSchema.prefault({}),
  })
  .superRefine((s, ctx) => {
    // Real-time floor: timers shorter than this are lost in scheduling noise.
    const floorMs = 20;
    const timeouts = [
      ['fleet', 'connectTimeout'],
      ['fleet', 'handshakeTimeout'],
      ['fleet', 'heartbeatTimeout'],
    ] as const;
    for (const path of timeouts) {
      const realMs = s[path[0]][path[1]] / s.timeScale;
      if (realMs < floorMs) {
        ctx.addIssue({
          code: 'custom',
          path: [...path],
          message: `is ${realMs.toFixed(1)} ms of real time at time scale ${s.timeScale}, below the ${floorMs} ms floor; lengthen it or lower timeScale`,
        });
      }
    }
    // Only targets whose ping interval the harness sets can be checked against the timeout.
    if ('heartbeatInterval' in s.target && s.fleet.heartbeatTimeout <= s.target.heartbeatInterval) {
      ctx.addIssue({
        code: 'custom',
        path: ['fleet', 'heartbeatTimeout'],
        message: `must be longer than target.heartbeatInterval (${s.target.heartbeatInterval} ms), or every healthy device would time out`,
      });
    }
    if (s.integrity) checkIntegrity(s, ctx);
    s.chaos.forEach((event, i) => {
      if (event.at + event.for > s.deadline) {
        ctx.addIssue({
          code: 'custom',
          path: ['chaos', i, 'for'],
          message: `the event ends at ${event.at + event.for} ms, after the deadline (${s.deadline} ms); raise deadline or shorten the event`,
        });
      }
    });
  });

type ParsedScenario = z.output<typeof scenarioSchema>;

/** Integrity checks need the reference API and protocol, and rates the machine can honour. */
function checkIntegrity(s: ParsedScenario, ctx: z.RefinementCtx): void {
  const integrity = s.integrity!;
  const realRate = integrity.writesPerSecond * s.timeScale;
  if (realRate > maxRealWritesPerSecond) {
    ctx.addIssue({
      code: 'custom',
      path: ['integrity', 'writesPerSecond'],
      message: `is ${realRate} writes per real second at time scale ${s.timeScale}, above the bound of ${maxRealWritesPerSecond}; lower it or the time scale`,
    });
  }
  // The reference backend is told where to publish manifests (--origin-url); a
  // container with no image runs it. (An image named like the reference one is
  // not looked at here: this module is the authoring API and stays light.)
  const publishes = s.target.kind === 'reference' || (s.target.kind === 'container' && s.target.image === undefined);
  if (integrity.origin && !publishes) {
    ctx.addIssue({
      code: 'custom',
      path: ['integrity', 'origin'],
      message: `needs the reference backend (target kind reference, or kind container without image: it is told where to publish manifests with --origin-url), got ${s.target.kind}${s.target.kind === 'container' ? ` with image ${s.target.image}` : ''}; set origin: false`,
    });
  }
  if (s.protocol.kind !== 'reference') {
    ctx.addIssue({
      code: 'custom',
      path: ['integrity'],
      message: `needs protocol kind reference (devices learn their content from its welcome and assign frames), got ${s.protocol.kind}`,
    });
  }
  if (integrity.apiLoad !== false && integrity.apiLoad.duration / s.timeScale < 50) {
    ctx.addIssue({
      code: 'custom',
      path: ['integrity', 'apiLoad', 'duration'],
      message: `is ${(integrity.apiLoad.duration / s.timeScale).toFixed(1)} ms of real time at time scale ${s.timeScale}, below the 50 ms floor; lengthen it`,
    });
  }
}

/** What a user writes. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** What the core sees: every duration in ms, every default filled in. */
export type Scenario = z.output<typeof scenarioSchema>;
export type ChaosEvent = Scenario['chaos'][number];
export type TargetConfig = Scenario['target'];
export type FleetConfig = Scenario['fleet'];
