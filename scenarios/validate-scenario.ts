import type { z } from 'zod';
import { AftershockError } from './errors.ts';
import { scenarioSchema, type Scenario } from './scenario-schema.ts';

/** One line per problem: `fleet.devices: needs at least 1 device`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(scenario)';
    if (issue.code === 'unrecognized_keys') {
      return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove or correct ${issue.keys.length > 1 ? 'them' : 'it'}`;
    }
    return `${path}: ${issue.message}`;
  });
}

/**
 * Validates a scenario at the edge and returns its normalised form. Every
 * problem is reported at once, each with its path.
 */
export function validateScenario(input: unknown, source: string): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = formatIssues(result.error.issues);
  throw new AftershockError(
    'invalid-scenario',
    `scenario ${source} is invalid (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems.join('; ')}`,
    { details: problems },
  );
}
