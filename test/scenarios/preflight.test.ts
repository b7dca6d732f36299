import { expect, test } from 'vitest';
import { preflight, type MachineLimits } from '../../scenarios/preflight.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

// The figures of these machines: 20,000 open files, 28k ports, 262,144 tracked connections, 24 GiB.
const machine: MachineLimits = { openFilesPerProcess: 20_000, localPortRange: [32768, 60999], conntrackMax: 262_144, conntrackInUse: 0, memAvailableMB: 23_000 };
const scenario = (fleet: object) => validateScenario({ name: 'p', fleet }, 'test');

test('100,000 devices fit this machine', () => {
  const result = preflight(scenario({ devices: 100_000 }), machine, { loopbackTarget: true });
  expect(result.problems).toEqual([]);
  expect(result.lines).toContainEqual('open files: 20000 per process; 7 fleet shard(s) of up to 16000 devices');
  expect(result.lines).toContainEqual('ports: 28232 local ports per source address; 400 source address(es) of up to 250 devices');
});

test('more devices than connection tracking allows: the limit and the fix are named', () => {
  const result = preflight(scenario({ devices: 300_000 }), machine, { loopbackTarget: true });
  expect(result.problems).toContainEqual(expect.stringMatching(/300000 devices need 300000 tracked connections, but connection tracking has 262144 of 262144 free; run at most 249036 devices here, raise net\.netfilter\.nf_conntrack_max/));
});

test('a shard larger than the open-file limit, and one source address for too many devices', () => {
  const result = preflight(scenario({ devices: 40_000, devicesPerShard: 19_000, devicesPerSourceAddress: 0 }), { ...machine, openFilesPerProcess: 10_000 }, { loopbackTarget: true });
  expect(result.problems).toEqual([
    expect.stringMatching(/^fleet\.devicesPerShard 19000 exceeds what one process can hold: the open-file limit is 10000 per process \(9500 after headroom\); set fleet\.devicesPerShard to 9500 or less/),
    expect.stringMatching(/^40000 devices share one source address, but the local port range \(32768-60999\) has only 28232 ports; set fleet\.devicesPerSourceAddress/),
  ]);
});

test('memory: never plans below the 2 GiB floor', () => {
  const result = preflight(scenario({ devices: 100_000 }), { ...machine, memAvailableMB: 4000 }, { loopbackTarget: true });
  expect(result.problems).toEqual([expect.stringMatching(/100000 devices need about 2930 MB, but only 1952 MB are available above the 2048 MB floor; run at most 66628 devices here/)]);
});
