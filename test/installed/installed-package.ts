import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository being packed. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface PackResult {
  tarball: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: string[];
}

/** `npm pack` of this repository into `dir`, as a user (or a registry) gets it. */
export function packRepo(dir: string): PackResult {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8', env: userEnv(process.execPath), stdio: ['ignore', 'pipe', 'pipe'] });
  // npm may print lifecycle output before the JSON array.
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[];
  return { tarball: join(dir, info.filename), size: info.size, unpackedSize: info.unpackedSize, entryCount: info.entryCount, files: info.files.map((f) => f.path) };
}

/** A fresh project in `dir` that installs the tarball, as a user's project would. */
export function installTarball(dir: string, tarball: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'storm-checks', version: '1.0.0', private: true, type: 'module' }, null, 2));
  // --prefer-offline: the packages are in npm's cache after the repository's own `npm ci`.
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: dir, encoding: 'utf8', env: userEnv(process.execPath), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A Node binary on PATH whose major version is below 24 (the machine's own Node), outside any node_modules. */
export function machineOldNode(): { path: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const path = join(dir, 'node');
    try {
      accessSync(path, constants.X_OK);
    } catch {
      continue;
    }
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    if (Number(version.slice(1).split('.')[0]) < 24) return { path, version };
  }
  return undefined;
}

/**
 * The environment of a user's shell with `node` (the binary given) first on
 * PATH: no npm script variables, nothing of this repository's node_modules,
 * nothing of vitest's.
 */
export function userEnv(node: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') || key.startsWith('VITEST') || key === 'NODE_OPTIONS' || key === 'NODE_ENV' || key === 'TEST') continue;
    env[key] = value;
  }
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '' && !dir.includes('node_modules'));
  env.PATH = [dirname(node), ...path].join(delimiter);
  return env;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `npx aftershock ARGS` in the user's project, with the given Node first on PATH. */
export function npxAftershock(project: string, node: string, args: string[], timeoutMs = 120_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile('npx', ['aftershock', ...args], { cwd: project, env: userEnv(node), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
    });
  });
}

/** Starts COMMAND ARGS in the user's project, in a process group of its own, as a terminal's foreground job. */
export function startCommand(project: string, node: string, command: string, args: string[]): { child: ChildProcess; result: Promise<CommandResult> } {
  const child = spawn(command, args, { cwd: project, env: userEnv(node), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<CommandResult>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, result };
}

/** Every live descendant of `pid` (children, their children, ...), read from /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone while we looked
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    found.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

/** Whether a process is still running (a zombie, dead but not yet reaped, counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves with the pids still running after `ms` of looking, or [] as soon as none is. */
export async function stillRunningAfter(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let running = pids.filter(isRunning);
  while (running.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    running = running.filter(isRunning);
  }
  return running;
}
