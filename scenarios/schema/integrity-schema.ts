import { z } from 'zod';
import { positiveDuration } from './duration-schema.ts';

/**
 * Integrity checks of a run: an assignment ledger writes content to devices
 * through the backend's API all along and checks after recovery that nothing
 * acknowledged was lost and every online device converged; devices show
 * their content from a content origin that chaos never touches; autocannon
 * measures the API before the fault, during the storm and after.
 */
export const integritySchema = z.strictObject({
  /** Content assignments per scenario second, to random devices, from the fleet being online until it has recovered. */
  writesPerSecond: z.number().gt(0).max(10_000).prefault(1),
  /** Devices fetch what they show from the content origin (a CDN stand-in): at power-on, and each version the backend tells them. */
  origin: z.boolean().prefault(true),
  /**
   * Give every device its first content before the fleet boots, one PUT
   * each (a durable write costs ~5 ms here: 100,000 devices take minutes;
   * turn it off for huge fleets, and devices without content count as blank).
   */
  seedContent: z.boolean().prefault(true),
  /** Real ms one API request may take (latency is physical, not scaled). */
  requestTimeoutMs: z.number().int().min(50).max(60_000).prefault(2000),
  /** autocannon on GET /devices/:id in three windows; false: none. */
  apiLoad: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Concurrent connections (loopback). */
        connections: z.number().int().min(1).max(64).prefault(4),
        /** Length of each window, scenario time (divided by timeScale like every duration). */
        duration: positiveDuration.prefault('30s'),
      }),
    ])
    .prefault({}),
});

export type IntegrityConfig = z.output<typeof integritySchema>;

/** Most writes per real second the ledger may be asked for: well above what one disk fsyncs, still a bound. */
export const maxRealWritesPerSecond = 2000;
