import { formatDuration } from '../duration.ts';
import type { RunProgress } from '../runner.ts';

/**
 * The live progress line: rewritten in place on a terminal, printed every
 * few seconds otherwise (CI logs), so it never floods a log file.
 */
export function progressLine(stream: NodeJS.WriteStream = process.stderr, logEveryMs = 5000): { update: (p: RunProgress) => void; done: () => void } {
  let lastLogged = 0;
  let drawn = false;
  const format = (p: RunProgress): string =>
    `  [${p.phase}] t=${formatDuration(p.t)}  online ${p.online}/${p.devices}  waiting ${p.waiting}  attempts ${Math.round(p.attemptsPerSecond)}/s`;
  return {
    update(p) {
      if (stream.isTTY) {
        stream.write(`\r${format(p).padEnd((stream.columns ?? 100) - 1).slice(0, (stream.columns ?? 100) - 1)}`);
        drawn = true;
      } else if (performance.now() - lastLogged >= logEveryMs) {
        lastLogged = performance.now();
        stream.write(format(p) + '\n');
      }
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
