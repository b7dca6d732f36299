import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { main } from '../../scenarios/cli/main.ts';
import { policyKinds } from '../../simulators/devices/policy/index.ts';

const cli = new URL('../../scenarios/cli/main.ts', import.meta.url).pathname;

function plan(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, 'plan', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

/** The same CLI in this process: the exit code main() returns and what it wrote to stderr (spawning each costs seconds). */
async function planHere(...args: string[]) {
  const errors: string[] = [];
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const code = await main(['plan', ...args]);
    return { code, stdout: '', stderr: errors.join('\n') };
  } finally {
    error.mockRestore();
    log.mockRestore();
  }
}

function expectBadInput(result: ReturnType<typeof plan>, pattern: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stderr.split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^aftershock: error: /);
  expect(result.stderr).toMatch(pattern);
}

describe('aftershock plan', () => {
  test('compares every policy side by side by default', () => {
    const result = plan('--devices', '20000', '--outage', '24m', '--fault', 'hard-kill', '--accept-rate', '2000/s');
    expect(result.code).toBe(0);
    const header = result.stdout.split('\n').find((line) => /^\s+seed\s/.test(line))!;
    expect(header.trim().split(/\s+/)).toEqual(policyKinds);
    expect(result.stdout).toMatch(/back: 99%/);
    expect(result.stdout).toMatch(/peak attempts\/s/);
    expect(result.stdout).toMatch(/accepts 2000\/s/);
  });

  test('--json gives machines the numbers and the per-second series', () => {
    const result = plan('--devices', '5000', '--outage', '10m', '--policy', 'seed,none', '--fault', 'freeze', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.policies.map((p: { policy: { kind: string } }) => p.policy.kind)).toEqual(['seed', 'none']);
    const seed = json.policies[0].result;
    expect(seed.devices).toBe(5000);
    expect(seed.lost.byCause['heartbeat-timeout']).toBe(5000);
    expect(seed.series.length).toBeGreaterThan(600);
    expect(json.input.capacity.acceptPerSecond).toBe('unlimited');
  });

  test('--find-capacity answers the smallest accept rate for the target', () => {
    const result = plan('--devices', '20000', '--policy', 'seed', '--find-capacity', '--target', '99%@10m', '--json');
    expect(result.code).toBe(0);
    const { capacity } = JSON.parse(result.stdout).policies[0];
    expect(capacity.acceptPerSecond).toBeGreaterThan(20);
    expect(capacity.acceptPerSecond).toBeLessThan(1000);
  });

  test('a target no rate can meet exits 1 and says why', () => {
    const result = plan('--devices', '2000', '--policy', 'seed', '--find-capacity', '--target', '100%@30s');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/impossible/);
  });

  test('takes the fleet, policy and fault from a scenario', () => {
    const result = plan('hard-kill', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.source).toBe('scenario hard-kill');
    expect(json.input.fault).toEqual({ kind: 'hard-kill', atMs: 0, outageMs: 120_000 });
    expect(json.policies[0].result.devices).toBe(2000);
  });

  test("a scenario's target.acceptRate is the backend: that rate, 503 at once, nobody queued; flags win", () => {
    const dir = mkdtempSync(join(tmpdir(), 'aftershock-plan-rate-'));
    const file = join(dir, 'limited.json');
    writeFileSync(file, JSON.stringify({ name: 'limited', fleet: { devices: 3000 }, target: { kind: 'reference', acceptRate: '20/s' }, chaos: [{ kind: 'kill', at: '10s', for: '2m' }] }));
    const limited = plan(file, '--json');
    expect(limited.code).toBe(0);
    const json = JSON.parse(limited.stdout);
    expect(json.input.capacity).toMatchObject({ acceptPerSecond: 20, overload: '503', queueMs: 0 });
    expect(json.policies[0].result.failures.byCause['rejected-503']).toBeGreaterThan(0);
    expect(plan(file).stdout).toMatch(/backend: accepts 20\/s, .*overloaded: 503, queue: none \(beyond the rate: answered at once\)/);

    // A backlog that holds attempts while the devices wait for their handshakes brings them back sooner.
    const queued = JSON.parse(plan(file, '--json', '--queue', '10s').stdout);
    expect(queued.input.capacity.queueMs).toBe(10_000);
    expect(queued.policies[0].result.recovery.t50).toBeLessThan(json.policies[0].result.recovery.t50);
    // A bare 0 needs no unit.
    expect(JSON.parse(plan('--devices', '100', '--accept-rate', '5/s', '--queue', '0', '--json').stdout).input.capacity.queueMs).toBe(0);
  });
});

describe('aftershock plan: bad input exits 2 with one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-plan-'));

  test('as a process: exit code 2 and one line on stderr', () => {
    expectBadInput(plan('--devices', '0'), /--devices must be a whole number from 1 to 25,000,000, got "0"/);
    expectBadInput(plan('--devcies', '5'), /Unknown option '--devcies'.*aftershock plan --help/);
  });

  test('numbers, durations, rates and targets', async () => {
    expectBadInput(await planHere('--devices', 'lots'), /--devices must be a whole number/);
    expectBadInput(await planHere('--devices', '30000000'), /--devices must be a whole number from 1 to 25,000,000, got "30000000"/);
    expectBadInput(await planHere('--outage', 'soon'), /--outage must be a duration such as "90s"/);
    expectBadInput(await planHere('--accept-rate', 'fast'), /--accept-rate must be handshakes per second above 0, such as "2000\/s"/);
    expectBadInput(await planHere('--accept-rate', '0/s'), /--accept-rate must be/);
    expectBadInput(await planHere('--queue', 'briefly'), /--queue must be a duration such as "90s"/);
    expectBadInput(await planHere('--queue', '-1s'), /--queue must be a duration/);
    expectBadInput(await planHere('--find-capacity', '--target', '120%@5m'), /--target must be a share of devices and a time, such as "99%@5m"/);
  });

  test('kinds list the valid ones', async () => {
    expectBadInput(await planHere('--fault', 'meteor'), /--fault must be one of hard-kill, freeze, network-cut, got "meteor"/);
    expectBadInput(await planHere('--policy', 'seed,fibonacci'), new RegExp(`unknown policy kind "fibonacci" in --policy; valid kinds: ${policyKinds.join(', ')}`));
    expectBadInput(await planHere('--overload', 'explode'), /--overload must be one of refuse, timeout, 503/);
  });

  test('flags that contradict each other, unknown scenarios', async () => {
    expectBadInput(await planHere('--find-capacity', '--accept-rate', '100/s'), /--find-capacity searches the accept rate itself/);
    expectBadInput(await planHere('--target', '99%@5m'), /--target only applies with --find-capacity/);
    expectBadInput(await planHere('--service-time', '10s'), /--service-time must be shorter than the handshake timeout \(10s\)/);
    expectBadInput(await planHere('no-such-scenario'), /unknown scenario "no-such-scenario"/);
  });

  test('a scenario without a fault needs --fault and --outage', async () => {
    const file = join(dir, 'calm.json');
    writeFileSync(file, JSON.stringify({ name: 'calm', fleet: { devices: 10 } }));
    expectBadInput(await planHere(file), /scenario calm has no chaos event to model; give --fault and --outage/);
    expect((await planHere(file, '--fault', 'freeze', '--outage', '5m')).code).toBe(0);
  });
});
