import { resolve } from 'node:path';
import { comparabilityNotes, formatGateTable, gateFailed } from '../../reports/gate/gate-table.ts';
import { compareMetrics, gateMetrics, parseTolerance } from '../../reports/gate/metric-changes.ts';
import { loadSummary, summaryPathOf } from '../../reports/summary-file.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { parseFlags } from './parse-flags.ts';

export const gateUsage = `usage: aftershock gate --baseline BASELINE CURRENT [--tolerance 10%]

Fails a change that makes recovery worse: compares ${gateMetrics.join(', ')}
of CURRENT with BASELINE (lower is better for each) and exits 1 when one of
them got worse by more than the tolerance.

  BASELINE          the summary.json of a good run (keep a copy in the
                    repository, e.g. baselines/hard-kill.json), or its run folder
  CURRENT           the run folder (or summary.json) to check
  --tolerance P%    how much worse a metric may get, in percent (default 10%);
                    a metric the baseline had at 0 or that goes to "never"
                    regresses on any rise

Exit codes: 0 no regression beyond the tolerance, 1 a regression (each metric
is listed with baseline, current and change), 2 bad input.`;

export async function gateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('gate', {
    args: argv,
    allowPositionals: true,
    options: {
      baseline: { type: 'string' },
      tolerance: { type: 'string', default: '10%' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(gateUsage);
    return exitCodes.passed;
  }
  if (values.baseline === undefined) throw new AftershockError('bad-usage', 'gate needs --baseline BASELINE (a summary.json of a good run); see `aftershock gate --help`');
  if (positionals.length !== 1) {
    throw new AftershockError('bad-usage', `gate takes one current run, got ${positionals.length}${positionals.length ? ` (${positionals.join(' ')})` : ''}; see \`aftershock gate --help\``);
  }
  const tolerancePct = parseTolerance(values.tolerance);
  if (tolerancePct === undefined) throw new AftershockError('bad-flag', `--tolerance must be a percentage such as "10%", got "${values.tolerance}"`);

  const baseline = loadSummary(resolve(values.baseline), 'baseline');
  const current = loadSummary(resolve(positionals[0]), 'current run');
  const changes = compareMetrics(baseline, current, { tolerancePct });
  const failed = gateFailed(changes);

  console.log(`aftershock gate: ${summaryPathOf(resolve(positionals[0]))} against baseline ${summaryPathOf(resolve(values.baseline))} (tolerance ${tolerancePct}%)`);
  for (const note of comparabilityNotes(baseline, current)) console.log(`  note: ${note}`);
  if (current.outcome === 'partial' || current.outcome === 'error' || current.outcome === 'interrupted') {
    console.log(`  note: the current run is incomplete (outcome ${current.outcome}); its figures cover only part of a run`);
  }
  console.log(formatGateTable(changes));
  const regressed = changes.filter((c) => c.status === 'regressed' || c.status === 'missing').map((c) => c.metric);
  console.log(failed ? `  FAILED: ${regressed.join(', ')} got worse by more than ${tolerancePct}%` : `  passed: no metric got worse by more than ${tolerancePct}%`);
  return failed ? exitCodes.thresholdFailed : exitCodes.passed;
}
