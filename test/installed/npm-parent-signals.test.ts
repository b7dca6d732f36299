// No orphans: the long-lived verbs (toxiproxy, run, chaos play) started as
// `npm run aftershock -- ...` stop, with every process they started, when only
// npm is signalled. npm passes SIGTERM to its `sh -c` alone and dies of a
// SIGHUP without passing it on; either way node would be left running.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { descendantsOf, isRunning, repoRoot, stillRunningAfter, userEnv } from './installed-package.ts';

const work = mkdtempSync(join(tmpdir(), 'aftershock-npm-signals-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Started {
  npm: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

let started: Started | undefined;
let tree: number[] = [];

afterEach(async () => {
  // Whatever a failed test left: only the processes this test started, by pid.
  for (const pid of [started?.npm.pid, ...tree]) {
    if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
  }
  started = undefined;
  tree = [];
});

/** `npm run aftershock -- ARGS` in this repository, in a process group of its own (as a terminal's job would be). */
function npmRun(args: string[]): Started {
  const npm = spawn('npm', ['run', 'aftershock', '--', ...args], { cwd: repoRoot, env: userEnv(process.execPath), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  return { npm, output: () => output, exited };
}

async function waitFor(what: string, ready: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; output so far:\n${started?.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Signals npm alone, then returns what is still running of the tree it had (npm, sh, node and node's children). */
async function signalNpm(signal: NodeJS.Signals): Promise<number[]> {
  tree = descendantsOf(started!.npm.pid!);
  // npm, its shell, node, and (for run and chaos play) the backend, fleet or watchdog node started.
  expect(tree.length).toBeGreaterThanOrEqual(2);
  process.kill(started!.npm.pid!, signal);
  await started!.exited;
  return stillRunningAfter(tree, 8000);
}

function portCloses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

describe('signalling the npm parent of a long-lived verb', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    test(`toxiproxy: ${signal} to npm stops the server; nothing of it is left`, async () => {
      started = npmRun(['toxiproxy', '--listen', '127.0.0.1:0']);
      await waitFor('the ready line', () => /Toxiproxy API on http:\/\/127\.0\.0\.1:\d+/.test(started!.output()), 20_000);
      const port = Number(/Toxiproxy API on http:\/\/127\.0\.0\.1:(\d+)/.exec(started.output())![1]);
      expect(await signalNpm(signal)).toEqual([]);
      expect(await portCloses(port)).toBe(true);
    });
  }

  test('run: SIGTERM to npm stops the fleet and the backend, and the partial summary is written', async () => {
    const out = join(work, 'run');
    started = npmRun(['run', 'hard-kill', '--devices', '40', '--time-scale', '2', '--out', out, '--quiet']);
    const events = join(out, 'events.ndjson');
    await waitFor('devices online', () => existsSync(events) && readFileSync(events, 'utf8').includes('"online"'), 60_000);
    const left = await signalNpm('SIGTERM');
    expect(tree.length).toBeGreaterThanOrEqual(4); // npm, sh, node, the backend (and the fleet's workers)
    expect(left).toEqual([]);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).outcome).toBe('interrupted');
  });

  test('chaos play: SIGHUP to npm stops the target it started; nothing of it is left', async () => {
    const out = join(work, 'chaos');
    started = npmRun(['chaos', 'play', 'hard-kill', '--devices', '10', '--start-after', '10m', '--out', out]);
    await waitFor('the target', () => started!.output().includes('target up; start the load now'), 30_000);
    const url = /-e \S+=(ws:\/\/127\.0\.0\.1:(\d+)\S*)/.exec(started.output());
    expect(url).not.toBeNull();
    expect(await signalNpm('SIGHUP')).toEqual([]);
    expect(await portCloses(Number(url![2]))).toBe(true);
  });
});
