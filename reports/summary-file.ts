import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AftershockError } from '../scenarios/errors.ts';
import { summarySchemaVersion, type RunSummary } from './run-collector.ts';
import { runSummarySchema } from './summary-schema.ts';

/** A run folder's summary path, or the path itself when it names a file. */
export function summaryPathOf(pathOrRunDir: string): string {
  return existsSync(pathOrRunDir) && statSync(pathOrRunDir).isDirectory() ? join(pathOrRunDir, 'summary.json') : pathOrRunDir;
}

/**
 * Loads and validates a summary (a `summary.json`, or a run folder holding
 * one). Bad input is an AftershockError (exit 2) that says what is wrong
 * and what to do. The JSON is returned as read, extra fields included.
 */
export function loadSummary(pathOrRunDir: string, role = 'summary'): RunSummary {
  const path = summaryPathOf(pathOrRunDir);
  if (!existsSync(path)) {
    const hint = path === pathOrRunDir ? 'give a summary.json or a run folder' : `the run folder has no summary.json; rebuild it with \`aftershock report ${pathOrRunDir}\``;
    throw new AftershockError('summary-not-found', `${role} ${path} does not exist; ${hint}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AftershockError('not-a-summary', `${role} ${path} is not JSON (${(error as Error).message}); give the summary.json of an aftershock run`);
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof json !== 'object' || json === null || version === undefined || !('scenario' in json)) {
    throw new AftershockError('not-a-summary', `${role} ${path} is not an aftershock run summary (no schemaVersion or scenario); give the summary.json of an aftershock run`);
  }
  // A schema-2 summary reads as a schema-3 one with its phases unknown: its
  // peak covered the whole run (boot included), so it is not the recovery
  // peak that schema 3 means by attempts.peakPerSecond.
  if (version === 2) json = upgradeFromVersion2(json as Record<string, unknown>);
  else if (version !== summarySchemaVersion) {
    throw new AftershockError(
      'summary-version',
      `${role} ${path} has schemaVersion ${JSON.stringify(version)}, this aftershock reads ${summarySchemaVersion}; rebuild it from the run's events with \`aftershock report RUN_DIR\``,
    );
  }
  const result = runSummarySchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(top)'}: ${issue.message}`);
    throw new AftershockError(
      'not-a-summary',
      `${role} ${path} does not match the summary schema (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; ...' : ''}`,
      { details: problems },
    );
  }
  return (version === 2 ? result.data : json) as RunSummary;
}

/** Schema 2 to 3: no phases, no recovery-phase peak; `upgradedFrom` says so to the gate and the reports. */
function upgradeFromVersion2(json: Record<string, unknown>): Record<string, unknown> {
  const attempts = json.attempts as Record<string, unknown> | undefined;
  return {
    ...json,
    schemaVersion: summarySchemaVersion,
    upgradedFrom: 2,
    attempts: { ...attempts, peakPerSecond: null, peakAtMs: null },
    phases: { boot: null, outage: null, recovery: null, steady: null },
  };
}
