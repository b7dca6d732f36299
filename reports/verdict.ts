import type { RunSummary } from './run-collector.ts';
import { evaluateThresholds, type ThresholdResult } from './thresholds/evaluate-thresholds.ts';

/**
 * What a run means for a person or a CI job: every threshold held
 * (`passed`), one did not (`failed`), or the run did not finish, so its
 * figures cover only part of it (`incomplete`: crashed, interrupted, or an
 * event stream cut short).
 */
export type Verdict = 'passed' | 'failed' | 'incomplete';

export const incompleteOutcomes: ReadonlySet<RunSummary['outcome']> = new Set(['partial', 'interrupted', 'error']);

/** The thresholds of a summary; a summary written without them is held to the default rule only. */
export function thresholdResultsOf(summary: RunSummary): ThresholdResult[] {
  return summary.thresholds ?? evaluateThresholds([], summary);
}

export function verdictOf(summary: RunSummary): Verdict {
  if (incompleteOutcomes.has(summary.outcome)) return 'incomplete';
  return thresholdResultsOf(summary).every((r) => r.passed) ? 'passed' : 'failed';
}

/** Why a run is incomplete, in one sentence; null when it is not. */
export function incompleteReason(summary: RunSummary): string | null {
  switch (summary.outcome) {
    case 'partial':
      return 'Partial run: the event stream ends without a run-end event (the harness crashed, was killed, or is still running); the figures cover only what was recorded.';
    case 'interrupted':
      return 'Interrupted run: it was stopped (SIGINT/SIGTERM) before it finished; the figures cover only what was recorded.';
    case 'error':
      return `The run ended in an error${summary.outcomeMessage ? ` (${summary.outcomeMessage})` : ''}; the figures cover only what was recorded.`;
    default:
      return null;
  }
}
