// `aftershock toxiproxy`: the embedded server on its own, as a stand-in for
// toxiproxy-server. One test runs it as a real process (signals, ready
// line); the usage errors call the CLI's main in-process, since starting the
// CLI costs seconds on a loaded machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { main } from '../../scenarios/cli/main.ts';
import { destroyClients, openClient, startEchoServer, within, type TestUpstream } from './toxiproxy-fixtures.ts';

const cli = new URL('../../scenarios/cli/main.ts', import.meta.url).pathname;

let child: ChildProcess | undefined;
let echo: TestUpstream | undefined;
let blocker: Server | undefined;

afterEach(async () => {
  destroyClients();
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await echo?.stop();
  blocker?.close();
  child = echo = blocker = undefined;
});

/** Runs the CLI in-process, capturing what it prints. */
async function aftershock(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts) => void out.push(parts.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...parts) => void err.push(parts.join(' ')));
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

function expectOneLineError(result: Awaited<ReturnType<typeof aftershock>>, pattern: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stderr.split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^aftershock: error: /);
  expect(result.stderr).toMatch(pattern);
}

/** Starts the command and resolves with its API URL once the ready line is out. */
async function startCommand(...args: string[]): Promise<string> {
  child = spawn(process.execPath, [cli, 'toxiproxy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const ready = new Promise<string>((resolve, reject) => {
    child!.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Toxiproxy API on (http:\/\/\S+) \(seed /.exec(stdout);
      if (match) resolve(match[1]);
    });
    child!.once('exit', (code) => reject(new Error(`exited with ${code} before it was ready: ${stdout}`)));
  });
  return within(ready, 10_000, 'ready line of aftershock toxiproxy');
}

describe('aftershock toxiproxy', () => {
  test('prints one ready line, serves the Toxiproxy API, and exits 0 on SIGTERM with its proxies closed', async () => {
    const url = await startCommand('--listen', '127.0.0.1:0', '--seed', 'fixed');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    echo = await startEchoServer();
    const client = new Toxiproxy(url);
    const proxy = await client.createProxy({ name: 'cli', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    const port = Number(proxy.listen.split(':').pop());
    const tcp = await openClient(port);
    tcp.socket.write('hi');
    await tcp.waitForBytes(2, 2000);

    const exited = once(child!, 'exit');
    child!.kill('SIGTERM');
    const [code] = await within(exited, 5000, 'exit after SIGTERM');
    expect(code).toBe(0);
    await expect(openClient(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  test('bad flags exit 2 with one line: malformed --listen, non-loopback without --allow-remote, unknown flag', async () => {
    expectOneLineError(await aftershock('toxiproxy', '--listen', 'nowhere'), /--listen must be HOST:PORT with a port from 0 to 65535 \(e\.g\. 127\.0\.0\.1:8474\), got "nowhere"/);
    expectOneLineError(await aftershock('toxiproxy', '--listen', '127.0.0.1:70000'), /got "127\.0\.0\.1:70000"/);
    expectOneLineError(await aftershock('toxiproxy', '--listen', '0.0.0.0:8474'), /--listen 0\.0\.0\.0:8474 is not a loopback address: .*add --allow-remote if that is intended/);
    expectOneLineError(await aftershock('toxiproxy', '--port', '1'), /Unknown option '--port'.*aftershock toxiproxy --help/);
    expectOneLineError(await aftershock('toxiproxy', 'extra'), /toxiproxy takes no arguments, got "extra"/);
  });

  test('a port in use exits 2 and says what to do', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    expectOneLineError(
      await aftershock('toxiproxy', '--listen', `127.0.0.1:${port}`),
      new RegExp(`the Toxiproxy API cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use; pick another --listen port`),
    );
  });

  test('help lists the flags', async () => {
    const result = await aftershock('toxiproxy', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--listen HOST:PORT[\s\S]*--allow-remote[\s\S]*--seed X/);
    expect((await aftershock('--help')).stdout).toMatch(/toxiproxy {8}run the embedded Toxiproxy-compatible server/);
  });
});
