import type { BoundPorts } from 'testcontainers';
import { dockerClient, type DockerContainer } from '../docker-engine.ts';
import { followLogs } from '../container-logs.ts';
import { ContainerWaitStrategy } from './container-wait-strategy.ts';

/** Ready once a line the container writes (stdout or stderr) after the start contains `text`. */
export class LogLineWaitStrategy extends ContainerWaitStrategy {
  readonly awaited: string;
  private readonly text: string;

  constructor(text: string) {
    super();
    this.text = text;
    this.awaited = `a line containing ${JSON.stringify(text)}`;
  }

  async waitUntilReady(container: DockerContainer, _boundPorts?: BoundPorts, startTime = new Date(0)): Promise<void> {
    const docker = (await dockerClient()).container.dockerode;
    const done = new AbortController();
    const recent: string[] = [];
    let found!: () => void;
    const seen = new Promise<void>((resolve) => (found = resolve));
    const follower = await followLogs(docker, container, startTime, (line) => {
      recent.push(line);
      if (recent.length > 3) recent.shift();
      if (line.includes(this.text)) found();
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        seen,
        this.exitOf(container, done.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(this.notReady(container, `last output: ${recent.length ? JSON.stringify(recent.join(' | ').slice(0, 400)) : '(none)'}`)), this.startupTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      done.abort();
      follower.stop();
    }
  }
}
