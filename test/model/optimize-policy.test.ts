import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { candidatePolicies, optimizePolicy, screenPercentile } from '../../simulators/model/optimize-policy.ts';
import { runStormModel, type StormModelInput } from '../../simulators/model/storm-model.ts';

const cli = new URL('../../scenarios/cli/main.ts', import.meta.url).pathname;

function plan(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, 'plan', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

const base: Omit<StormModelInput, 'policy'> = {
  devices: 2000,
  seed: 'advisor',
  timeouts: { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 },
  fault: { kind: 'hard-kill', atMs: 0, outageMs: 24 * 60_000 },
  capacity: { acceptPerSecond: 20, maxInFlight: Infinity, serviceTimeMs: 50, overload: 'refuse' },
  untilMs: 24 * 60_000 + 2 * 3600_000,
};
const target = { percentile: 99, withinMs: 5 * 60_000 };

describe('the policy advisor', () => {
  test('on a fleet small enough to model whole, its first policy has the lowest recovery peak of every policy in the space that meets the target', async () => {
    const advised = await optimizePolicy({ base, target, top: 3, threads: 1 });
    expect(advised.sampleDevices).toBe(2000);
    expect(advised.policies.length).toBeGreaterThan(0);
    // Every policy of the space, modelled independently of the advisor.
    const meeting = candidatePolicies()
      .map((policy) => runStormModel({ ...base, policy, extraPercentiles: [99] }))
      .filter((r) => r.recoveryAt[0].ms !== null && r.recoveryAt[0].ms <= target.withinMs);
    expect(meeting.length).toBe(advised.metOnSample);
    const lowest = Math.min(...meeting.map((r) => r.attempts.peakPerSecond));
    expect(advised.policies[0].result.attempts.peakPerSecond).toBe(lowest);
    for (const p of advised.policies) expect(p.targetMs).toBeLessThanOrEqual(target.withinMs);
    const peaks = advised.policies.map((p) => p.result.attempts.peakPerSecond);
    expect(peaks).toEqual([...peaks].sort((a, b) => a - b));
    // Some policy of the space misses this target: the search is not vacuous.
    expect(advised.metOnSample).toBeLessThan(advised.screened);
  });

  test("the screen asks a sample for two standard errors more than the target, and a whole fleet for the target itself", () => {
    expect(screenPercentile(99, 2000, 2000)).toBe(99);
    // 3,000 of 1M at 99%: sqrt(0.99 x 0.01 / 3000) = 0.18 points, twice that on top.
    expect(screenPercentile(99, 3000, 1_000_000)).toBeCloseTo(99 + 200 * Math.sqrt((0.99 * 0.01) / 3000) * Math.sqrt(997_000 / 999_999), 10);
    expect(screenPercentile(99, 3000, 1_000_000)).toBeGreaterThan(99.36);
    expect(screenPercentile(99.99, 100, 1_000_000)).toBe(100);
  });

  test('a target no policy can meet gives none, in worker threads too', async () => {
    const none = await optimizePolicy({ base, target: { percentile: 99, withinMs: 1000 }, top: 3 });
    expect(none.policies).toEqual([]);
    expect(none.metOnSample).toBe(0);
  });
});

describe('aftershock plan --optimize', () => {
  test('prints the policies with the scenario lines to paste, and the lines read back as that policy', () => {
    const result = plan('--optimize', '--devices', '20000', '--outage', '24m', '--accept-rate', '200/s', '--target', '99%@5m', '--json');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.kind).toBe('aftershock-plan-optimize');
    expect(out.policies.length).toBeGreaterThan(0);
    for (const p of out.policies) {
      expect(p.targetMs).toBeLessThanOrEqual(300_000);
      // The snippet is a scenario's policy line: it validates to the same parameters.
      const policy = new Function(`return {${p.scenario.replace(/,$/, '')}}`)().policy;
      expect(validateScenario({ name: 'x', fleet: { devices: 1 }, policy }, 'snippet').policy).toEqual(p.policy);
    }
    const table = plan('--optimize', '--devices', '20000', '--outage', '24m', '--accept-rate', '200/s');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/#1 {2}first uniform\(0, /);
    expect(table.stdout).toMatch(/recovery peak [\d,]+ attempts\/s \(busiest 5 s after the restore/);
    expect(table.stdout).toMatch(/scenario: policy: \{ first: '/);
  }, 120_000);

  test('exit 1 when nothing meets the target, 2 for flags that cannot go with it', () => {
    const impossible = plan('--optimize', '--devices', '5000', '--accept-rate', '1/s', '--target', '99%@1m');
    expect(impossible.code).toBe(1);
    expect(impossible.stdout).toMatch(/no policy in the space meets the target/);
    for (const [flags, message] of [
      [['--policy', 'seed'], /--optimize searches the policy itself; drop --policy/],
      [['--jitter', 'full'], /drop --jitter/],
      [['--find-capacity'], /--optimize and --find-capacity search different things/],
      [['--target', '101%@5m'], /--target must be a share of devices and a time/],
    ] as const) {
      const bad = plan('--optimize', ...flags);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
  }, 120_000);
});
