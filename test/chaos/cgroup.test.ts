import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ChildCgroup, probeCgroup } from '../../chaos/cgroup.ts';
import { AftershockError } from '../../scenarios/errors.ts';
import { startTestChaos, type TestChaos } from './chaos-fixtures.ts';

/** Builds a made-up /proc and cgroup tree: `mounts` are mountinfo lines with MNT for the tree's root. */
function fakeHost(options: { membership: string; mounts: string[]; files: Record<string, string> }): { procDir: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'aftershock-fake-cgroup-'));
  const procDir = join(root, 'proc');
  mkdirSync(join(procDir, '4242'), { recursive: true });
  mkdirSync(join(procDir, 'self'));
  writeFileSync(join(procDir, '4242', 'cgroup'), options.membership);
  writeFileSync(join(procDir, 'self', 'mountinfo'), options.mounts.map((line) => line.replaceAll('MNT', root)).join('\n') + '\n');
  for (const [path, content] of Object.entries(options.files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return { procDir, root };
}

describe('probeCgroup finds where a process sits and where a child group can go', () => {
  test('cgroup v1, with cpu and cpuacct in one hierarchy', () => {
    const { procDir, root } = fakeHost({
      membership: '3:cpu,cpuacct:/user/42\n2:cpuset:/\n0::/\n',
      mounts: ['32 31 0:29 / MNT/cg/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct', '34 31 0:31 / MNT/cg/cpuset rw - cgroup cgroup rw,cpuset'],
      files: { 'cg/cpu,cpuacct/user/42/cpu.cfs_quota_us': '-1\n' },
    });
    const groupDir = join(root, 'cg/cpu,cpuacct/user/42');
    expect(probeCgroup('cpu', 4242, { procDir })).toEqual({ usable: true, place: { version: 'v1', controller: 'cpu', groupDir, parentDir: groupDir, enable: false } });
  });

  test('cgroup v1 inside a container: the mount shows the container’s group as its root', () => {
    const { procDir, root } = fakeHost({
      membership: '4:memory:/docker/abc\n',
      mounts: ['35 31 0:32 /docker/abc MNT/cg/memory rw - cgroup cgroup rw,memory'],
      files: { 'cg/memory/memory.limit_in_bytes': '9223372036854771712\n' },
    });
    const probe = probeCgroup('memory', 4242, { procDir });
    expect(probe.usable && probe.place.groupDir).toBe(join(root, 'cg/memory'));
  });

  test('cgroup v2 with the controller delegated but not yet enabled for children: enable it, or go beside', () => {
    const { procDir, root } = fakeHost({
      membership: '0::/app.slice/harness.scope\n',
      mounts: ['41 31 0:38 / MNT/cg rw - cgroup2 cgroup2 rw'],
      files: { 'cg/app.slice/harness.scope/cgroup.controllers': 'cpu memory pids\n', 'cg/app.slice/harness.scope/cgroup.subtree_control': '\n' },
    });
    const groupDir = join(root, 'cg/app.slice/harness.scope');
    expect(probeCgroup('memory', 4242, { procDir })).toEqual({
      usable: true,
      place: { version: 'v2', controller: 'memory', groupDir, parentDir: groupDir, enable: true, fallbackDir: join(root, 'cg/app.slice') },
    });
  });

  test('cgroup v2 at the root of what is mounted (a container): no parent to go beside', () => {
    const { procDir, root } = fakeHost({
      membership: '0::/\n',
      mounts: ['41 31 0:38 / MNT/cg rw - cgroup2 cgroup2 rw'],
      files: { 'cg/cgroup.controllers': 'cpu memory\n', 'cg/cgroup.subtree_control': 'cpu\n' },
    });
    expect(probeCgroup('cpu', 4242, { procDir })).toEqual({
      usable: true,
      place: { version: 'v2', controller: 'cpu', groupDir: join(root, 'cg'), parentDir: join(root, 'cg'), enable: false },
    });
  });

  test('hybrid: v1 holds memory, the empty v2 tree offers no cpu, and both are named in what was looked for', () => {
    const { procDir, root } = fakeHost({
      membership: '4:memory:/\n0::/\n',
      mounts: ['35 31 0:32 / MNT/cg/memory rw - cgroup cgroup rw,memory', '41 31 0:38 / MNT/cg/unified rw - cgroup2 cgroup2 rw'],
      files: { 'cg/memory/memory.limit_in_bytes': '9223372036854771712\n', 'cg/unified/cgroup.controllers': '\n' },
    });
    expect(probeCgroup('memory', 4242, { procDir })).toMatchObject({ usable: true, place: { version: 'v1' } });
    expect(probeCgroup('cpu', 4242, { procDir })).toEqual({
      usable: false,
      controller: 'cpu',
      pid: 4242,
      looked: [
        'cgroup v1: no hierarchy with the cpu controller is mounted',
        `cgroup v2: cpu is not in ${join(root, 'cg/unified/cgroup.controllers')} (it lists: nothing); the parent group does not delegate it`,
      ],
    });
  });

  test('no cgroups at all', () => {
    const { procDir } = fakeHost({ membership: '', mounts: ['22 1 0:21 / /proc rw - proc proc rw'], files: {} });
    expect(probeCgroup('memory', 4242, { procDir })).toEqual({
      usable: false,
      controller: 'memory',
      pid: 4242,
      looked: ['cgroup v1: no hierarchy with the memory controller is mounted', 'cgroup v2: no cgroup2 file system is mounted'],
    });
  });
});

// cgroup v2's choices, on made-up trees (regular files take any write, so
// only the "cannot enable" path needs a trick: a directory where the
// subtree_control file should be).
describe('ChildCgroup on cgroup v2 places its group where the controller can be had', () => {
  let chaos: TestChaos;
  beforeAll(async () => {
    chaos = await startTestChaos('cgroup-v2');
  });
  afterAll(async () => {
    await chaos.close();
  });
  const v2Tree = (subtreeWritable: boolean, parentInReach: boolean): { procDir: string; root: string } => {
    const host = fakeHost({
      membership: parentInReach ? '0::/app.slice/harness.scope\n' : '0::/\n',
      mounts: ['41 31 0:38 / MNT/cg rw - cgroup2 cgroup2 rw'],
      files: parentInReach
        ? { 'cg/app.slice/harness.scope/cgroup.controllers': 'memory\n', 'cg/app.slice/cgroup.subtree_control': 'memory\n' }
        : { 'cg/cgroup.controllers': 'memory\n' },
    });
    const group = parentInReach ? join(host.root, 'cg/app.slice/harness.scope') : join(host.root, 'cg');
    if (subtreeWritable) writeFileSync(join(group, 'cgroup.subtree_control'), '\n');
    else mkdirSync(join(group, 'cgroup.subtree_control'));
    return host;
  };

  test('enables the controller for children of the process’s group, and disables it again on remove', async () => {
    const { procDir, root } = v2Tree(true, true);
    const probe = probeCgroup('memory', 4242, { procDir });
    if (!probe.usable) throw new Error('expected a usable place');
    const group = await ChildCgroup.create(probe.place, chaos.watchdog, { kind: 'test', pid: 4242 });
    const subtree = join(root, 'cg/app.slice/harness.scope/cgroup.subtree_control');
    expect(group.dir.startsWith(join(root, 'cg/app.slice/harness.scope/aftershock-'))).toBe(true);
    expect(readFileSync(subtree, 'utf8')).toBe('+memory');
    expect(chaos.watchdog.guarded).toEqual([
      { kind: 'write-file', path: subtree, content: '-memory' },
      { kind: 'rmdir', path: group.dir },
    ]);
    await group.remove();
    expect(readFileSync(subtree, 'utf8')).toBe('-memory');
    expect(existsSync(group.dir)).toBe(false);
    expect(chaos.watchdog.guarded).toEqual([]);
  });

  test('goes beside the process’s group when that cannot enable it (it holds processes)', async () => {
    const { procDir, root } = v2Tree(false, true);
    const probe = probeCgroup('memory', 4242, { procDir });
    if (!probe.usable) throw new Error('expected a usable place');
    const group = await ChildCgroup.create(probe.place, chaos.watchdog, { kind: 'test', pid: 4242 });
    expect(group.dir.startsWith(join(root, 'cg/app.slice/aftershock-'))).toBe(true);
    expect(group.originalDir).toBe(join(root, 'cg/app.slice/harness.scope'));
    expect(chaos.watchdog.guarded).toEqual([{ kind: 'rmdir', path: group.dir }]);
    await group.remove();
    expect(chaos.watchdog.guarded).toEqual([]);
  });

  test('refuses with what it tried when the group cannot enable it and its parent is out of reach', async () => {
    const { procDir, root } = v2Tree(false, false);
    const probe = probeCgroup('memory', 4242, { procDir });
    if (!probe.usable) throw new Error('expected a usable place');
    const error = await ChildCgroup.create(probe.place, chaos.watchdog, { kind: 'memory-hog', pid: 4242 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AftershockError);
    expect((error as AftershockError).code).toBe('chaos-unsupported');
    expect((error as AftershockError).details).toEqual([
      expect.stringMatching(new RegExp(`^cgroup v2: could not enable memory in ${join(root, 'cg/cgroup.subtree_control')}: EISDIR`)),
      `cgroup v2: the parent of ${join(root, 'cg')} is not in reach (above the mount or namespace root, or not writable)`,
    ]);
    expect(chaos.watchdog.guarded).toEqual([]);
  });
});

// The rest changes the real cgroup tree, which needs a usable memory cgroup.
const probe = probeCgroup('memory', process.pid);
const noCgroup = probe.usable ? '' : ` (skipped: no usable memory cgroup on this machine: ${probe.looked.join('; ')})`;

describe.skipIf(!probe.usable)(`ChildCgroup on this machine's memory controller${noCgroup}`, () => {
  let chaos: TestChaos;
  let sleeper: ChildProcess | undefined;
  beforeAll(async () => {
    chaos = await startTestChaos('cgroup');
  });
  afterEach(() => {
    sleeper?.kill('SIGKILL');
  });
  afterAll(async () => {
    await chaos.close();
  });

  test('makes a group, limits it, moves a process in; remove puts it back and deletes the group', async () => {
    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    const pid = sleeper.pid!;
    const place = probeCgroup('memory', pid);
    if (!place.usable) throw new Error('the probe changed its mind');
    const membership = (): string => readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    const original = membership();

    const group = await ChildCgroup.create(place.place, chaos.watchdog, { kind: 'test', pid });
    expect(group.dir).toMatch(new RegExp(`/aftershock-${process.pid}-test-\\d+$`));
    expect(chaos.watchdog.guarded).toEqual([{ kind: 'rmdir', path: group.dir }]);
    await group.setMemoryLimit(64);
    const limitFile = group.version === 'v1' ? 'memory.limit_in_bytes' : 'memory.max';
    expect(readFileSync(join(group.dir, limitFile), 'utf8').trim()).toBe(String(64 * 1024 * 1024));
    await group.moveIn(pid);
    expect(await group.procs()).toEqual([pid]);
    expect(membership()).not.toBe(original);
    // Performed newest first if the harness dies: lift the limit, move back, remove.
    expect(chaos.watchdog.guarded).toEqual([
      { kind: 'rmdir', path: group.dir },
      { kind: 'move-procs', from: join(group.dir, 'cgroup.procs'), to: join(group.originalDir, 'cgroup.procs') },
      { kind: 'write-file', path: join(group.dir, limitFile), content: group.version === 'v1' ? '-1' : 'max' },
    ]);
    expect(await group.oomKills()).toBe(0);

    await group.remove();
    await group.remove();
    expect(existsSync(group.dir)).toBe(false);
    expect(membership()).toBe(original);
    expect(chaos.watchdog.guarded).toEqual([]);
  });
});
