import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { renderCompareReport } from '../../reports/compare/compare-report.ts';
import { loadSummary, summaryPathOf } from '../../reports/summary-file.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { compareTargetsCommand, compareTargetsUsage } from './compare-targets-command.ts';
import { parseFlags } from './parse-flags.ts';
import { runFolderTime } from './run-folder-time.ts';

export const compareUsage = `usage: aftershock compare RUN_A RUN_B [--out DIR]

Writes one self-contained HTML page with both runs on the same axes
(aligned on their fault) and a table of every metric's change from A to B:
for validating a change, such as a resize, before and after.

  RUN_A, RUN_B   run folders (or their summary.json)
  --out DIR      folder for compare.html (default beside the runs'
                 folders: runs/compare-<A>-vs-<B>-<time>); a path
                 ending in .html is the page itself

Exit codes: 0 page written, 2 bad input.`;

/** A run's name for legends: its folder's name. */
const runName = (path: string): string => basename(dirname(summaryPathOf(path)));

export async function compareCommand(argv: string[]): Promise<number> {
  // Two targets instead of two runs: run both, then compare (compare-targets-command.ts).
  if (argv.some((arg) => /^--target-[ab](=|$)/.test(arg))) return compareTargetsCommand(argv);
  const { values, positionals } = parseFlags('compare', {
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(`${compareUsage}\n\nor, to run one scenario against two targets first:\n${compareTargetsUsage}`);
    return exitCodes.passed;
  }
  if (positionals.length !== 2) {
    throw new AftershockError('bad-usage', `compare takes two runs, got ${positionals.length}${positionals.length ? ` (${positionals.join(' ')})` : ''}; see \`aftershock compare --help\``);
  }
  const [pathA, pathB] = positionals.map((p) => resolve(p));
  const a = { name: runName(pathA), summary: loadSummary(pathA, 'run A') };
  const b = { name: runName(pathB), summary: loadSummary(pathB, 'run B') };
  // A folder, as `run` writes one; `--out x.html` (what this flag used to take) still names the page.
  const outArg = values.out ?? join('runs', `compare-${a.name}-vs-${b.name}-${runFolderTime()}`);
  const out = outArg.endsWith('.html') ? resolve(outArg) : join(resolve(outArg), 'compare.html');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderCompareReport(a, b));
  console.log(`aftershock: compared ${a.name} (A) with ${b.name} (B)\n  wrote ${out}`);
  return exitCodes.passed;
}
