import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type { DockerApi, DockerContainer } from './docker-engine.ts';

/** A running log follower; `stop` ends it (it also ends by itself when the container stops). */
export interface LogFollower {
  /** Resolves when the engine ends the stream (the container stopped) or `stop` was called. */
  readonly ended: Promise<void>;
  stop(): void;
}

/**
 * Follows a container's stdout and stderr from `since` on, one line at a
 * time, without the engine's timestamps. The engine takes `since` in whole
 * seconds, so lines are asked with timestamps and those written before
 * `since` (the previous run's, after a restart) are dropped here.
 */
export async function followLogs(docker: DockerApi, container: DockerContainer, since: Date, onLine: (line: string, stream: 'stdout' | 'stderr') => void): Promise<LogFollower> {
  const raw = (await container.logs({ follow: true, stdout: true, stderr: true, timestamps: true, since: Math.floor(since.getTime() / 1000) })) as NodeJS.ReadableStream & {
    destroy(): void;
  };
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(raw, out, err);
  const sinceIso = since.toISOString();
  const pump = (stream: PassThrough, name: 'stdout' | 'stderr'): void => {
    createInterface({ input: stream }).on('line', (line) => {
      const space = line.indexOf(' ');
      const stamp = line.slice(0, space);
      // RFC 3339 with nanoseconds; compare to millisecond precision, as text (same zone, same width up to ms).
      if (stamp.slice(0, 23) < sinceIso.slice(0, 23)) return;
      onLine(line.slice(space + 1), name);
    });
  };
  pump(out, 'stdout');
  pump(err, 'stderr');
  const ended = new Promise<void>((resolve) => {
    raw.on('end', resolve);
    raw.on('close', resolve);
    raw.on('error', () => resolve());
  }).then(() => {
    out.end();
    err.end();
  });
  return { ended, stop: () => raw.destroy() };
}
