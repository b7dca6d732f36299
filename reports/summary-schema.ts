import { z } from 'zod';
import { metricNames } from './thresholds/metric-registry.ts';
import { summarySchemaVersion, type RunSummary } from './run-collector.ts';

/**
 * The schema of `summary.json`, written once in zod: it validates summaries
 * that `report`, `gate` and `compare` load, and `reports/summary.schema.json`
 * is generated from it (`npm run schema:summary`) for anyone reading the JSON
 * outside aftershock. The top level is loose: a field added later (such as
 * the planner's `model`) does not make an older reader reject a summary.
 * Loaders keep the JSON as read; the schema only checks it.
 */
const counts = z.record(z.string(), z.number());
const ms = z.number().describe('scenario ms');
const nullableMs = ms.nullable();

const seriesPoint = z.object({
  t: ms.describe('start of the scenario second, ms since the run origin'),
  online: z.number().describe('devices online at the end of the second'),
  attempts: z.number(),
  successes: z.number(),
  failures: counts.describe('failed attempts by cause'),
  lost: counts.describe('connections lost by cause'),
});

const backendSample = z.discriminatedUnion('reachable', [
  z.object({
    t: ms,
    reachable: z.literal(true),
    devicesOnline: z.number(),
    cpuPercent: z.number().nullable().describe('share of one core since the previous sample; null on the first after a start'),
    rssMB: z.number(),
    heapUsedMB: z.number(),
    eventLoopDelayP99Ms: z.number(),
    eventLoopDelayMaxMs: z.number(),
  }),
  z.object({ t: ms, reachable: z.literal(false) }),
]);

const thresholdResult = z.object({
  metric: z.enum(metricNames as [string, ...string[]]),
  condition: z.string().describe('as written in the scenario, e.g. "<6m"'),
  operator: z.enum(['<', '<=', '>', '>=', '==', '!=']),
  limit: z.number(),
  passed: z.boolean(),
  value: z.number().nullable().describe('null: not measured, or never happened (see shown)'),
  shown: z.string(),
  source: z.enum(['scenario', 'default']),
});

const apiWindow = z
  .union([
    z.object({
      startMs: ms,
      endMs: ms,
      realDurationMs: z.number().describe('real ms'),
      connections: z.number().int(),
      sent: z.number().int(),
      requests: z.number().int().describe('answered, any status'),
      p50Ms: z.number().nullable().describe('real ms, of 2xx answers; null: none'),
      p99Ms: z.number().nullable().describe('real ms'),
      maxMs: z.number().nullable().describe('real ms'),
      errors: z.number().int(),
      timeouts: z.number().int(),
      non2xx: z.number().int(),
    }),
    z.object({ error: z.string() }),
  ])
  .nullable();

const integrity = z
  .object({
    writesPerSecond: z.number().describe('assignments per scenario second'),
    origin: z.boolean(),
    assignments: z.object({
      attempted: z.number().int(),
      acknowledged: z.number().int(),
      failed: z.object({ total: z.number().int(), byCause: counts }),
      notSent: z.number().int().describe('due but not sent: the in-flight limit was reached'),
      lost: z.number().int().nullable().describe('acknowledged writes the backend no longer has; null: not checked'),
      lostSample: z.array(
        z.object({ device: z.number().int(), version: z.number().int(), url: z.string(), ackedAtMs: ms, why: z.enum(['rolled-back', 'other-url', 'version-reissued']) }),
      ),
      devicesChecked: z.number().int(),
      devicesUnreadable: z.number().int(),
    }),
    convergence: z.object({
      devicesOnline: z.number().int(),
      devicesConverged: z.number().int(),
      notConverged: z.object({ count: z.number().int(), sample: z.array(z.number().int()) }),
      devicesShowingLatest: z.number().int().nullable(),
      timeToConvergeMs: nullableMs.describe('from the last restore until every online device reported its final content'),
    }),
    contentOnScreen: z.object({
      shareDuringOutage: z.number().min(0).max(1).nullable(),
      deviceMsOnScreen: z.number(),
      deviceMsTotal: z.number(),
      devicesShowingAtEnd: z.number().int(),
      fetchFailures: z.object({ total: z.number().int(), byCause: counts }),
    }),
    api: z.object({ before: apiWindow, during: apiWindow, after: apiWindow }).describe('autocannon on GET /devices/:id, real ms'),
  })
  .optional()
  .describe('assignment ledger, convergence, content on screen and API latency: scenarios/integrity');

const phase = z
  .object({
    fromMs: ms,
    toMs: ms,
    attempts: z.number().int(),
    peakPerSecond: z.number().describe('attempts per second over the busiest 5 s of the phase'),
    peakAtMs: nullableMs,
    maxInOneSecond: z.number().int().describe('most attempts in any one second of the phase'),
    failures: z.number().int(),
    handshakeMs: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), count: z.number().int() }).describe('real ms'),
  })
  .nullable();

const summaryShape = {
  schemaVersion: z.literal(summarySchemaVersion),
  upgradedFrom: z.number().int().optional().describe('the schema version this summary was read from, when it was older'),
  scenario: z.string(),
  seed: z.union([z.string(), z.number()]),
  timeScale: z.number(),
  devices: z.number().int().min(0),
  startedAt: z.string(),
  versions: z.record(z.string(), z.string()),
  policy: z.record(z.string(), z.unknown()),
  outcome: z.enum(['recovered', 'deadline', 'interrupted', 'error', 'partial']),
  outcomeMessage: z.string().optional(),
  durationMs: ms,
  chaos: z.array(z.object({ kind: z.string(), action: z.enum(['inject', 'undo', 'note']), t: ms, detail: z.string().optional() })),
  faultAtMs: nullableMs,
  restoredAtMs: nullableMs,
  recovery: z.object({ t50: nullableMs, t90: nullableMs, t99: nullableMs, t100: nullableMs }).describe('time from the restore until the share of devices was back; null: never (or no restore)'),
  attempts: z
    .object({ total: z.number(), peakPerSecond: z.number().nullable(), peakAtMs: nullableMs })
    .describe('peakPerSecond: attempts per second over the busiest 5 s of the recovery phase (null: no restore); other phases in `phases`'),
  phases: z
    .object({ boot: phase, outage: phase, recovery: phase, steady: phase })
    .describe('boot: origin to fault; outage: fault to restore; recovery: restore to the last device back; steady: after. Null: the run had no such phase'),
  failures: z.object({ total: z.number(), byCause: counts }),
  lost: z.object({ total: z.number(), byCause: counts }),
  handshakeMs: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), max: z.number(), count: z.number() }).describe('real ms'),
  handshakeSeries: z.array(z.object({ t: ms, count: z.number(), p50: z.number(), p90: z.number(), p99: z.number() })),
  recoveryCdf: z.object({ ms: z.array(z.number()), share: z.array(z.number()) }).nullable(),
  devicesOnlineAtEnd: z.number(),
  neverReturned: z.object({ count: z.number(), sample: z.array(z.number()) }),
  verification: z.object({ earlyAttempts: z.number(), toleranceMs: z.number(), unaccountedSamples: z.number().optional() }),
  series: z.array(seriesPoint),
  integrity,
  backend: z.object({
    samples: z.array(backendSample),
    peakCpuPercent: z.number().nullable(),
    peakRssMB: z.number().nullable(),
    peakEventLoopDelayMs: z.number().nullable(),
    unreachableSamples: z.number(),
  }),
  thresholds: z.array(thresholdResult).optional(),
  // The planner's replay of the run; only what the report draws is checked here (its owner is simulators/model).
  model: z
    .object({ predictedOnline: z.array(z.number()).describe('devices online at the end of each scenario second, as predicted') })
    .optional()
    .describe('the planner replaying this run: simulators/model/compare-to-run.ts'),
  plan: z
    .object({
      maxDeviationPct: z.number().nullable(),
      fromMs: nullableMs,
      comparedFromMs: nullableMs.optional().describe('where the gap is measured from: the fault, or for a kill the second the fleet had noticed it as the plan has it'),
      noticeLagMs: nullableMs.optional().describe('how long after the fault the measured fleet had noticed it as the plan has it; 0 when the fault is not noticed by reset'),
      predictedOnline: z.array(z.number()).describe('devices online at the end of each scenario second from fromMs on, as planned'),
      beyondMachine: z
        .string()
        .optional()
        .describe("set when the plan's busiest second after the restore, at the run's time scale, is more than this machine connects per real second: the gaps then include the machine's own queue"),
    })
    .optional()
    .describe('the plain plan from the scenario alone against this run, from the fault on: simulators/model/compare-to-run.ts'),
};

export const runSummarySchema = z
  .looseObject(summaryShape)
  .meta({ title: 'aftershock run summary', description: 'summary.json of an aftershock run: a fold of its events.ndjson' });

// Compile-time check that the schema describes what the collector writes: a
// RunSummary must be valid input (its version is a plain number there). The
// other direction is checked by tests that validate real summaries.
type Assert<T extends true> = T;
export type _SummaryFitsSchema = Assert<Omit<RunSummary, 'schemaVersion'> extends Omit<z.input<z.ZodObject<typeof summaryShape>>, 'schemaVersion'> ? true : false>;

/** The JSON Schema of `summary.json` (draft 2020-12). */
export function summaryJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(runSummarySchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
