import { expect, test } from 'vitest';
import type { PeerStats, WorkerStats } from '../../simulators/backend/backend-peers.ts';
import { mergeDeviceViews, mergeMetrics, sumDevicesOnline } from '../../simulators/backend/cluster-view.ts';

function usage(cpuUs: number, rssMB: number, p99Ms: number, maxMs: number): NonNullable<WorkerStats['process']> {
  return { cpuUserUs: cpuUs, cpuSystemUs: cpuUs / 10, rssBytes: rssMB * 2 ** 20, heapUsedBytes: rssMB * 2 ** 19, eventLoopDelayP99Ms: p99Ms, eventLoopDelayMaxMs: maxMs };
}

const self: WorkerStats = { pid: 30, devicesOnline: 100, handshakesTotal: 120, handshakesRejected: 3, process: usage(1000, 60, 2, 9) };
const peers: PeerStats = {
  supervisor: { pid: 10, cpuUserUs: 50, cpuSystemUs: 5, rssBytes: 40 * 2 ** 20, heapUsedBytes: 8 * 2 ** 20 },
  workers: [
    { pid: 20, devicesOnline: 90, handshakesTotal: 95, handshakesRejected: 1, process: usage(2000, 70, 5, 7), stale: false },
    // Did not answer in time: last figures, and a loop delay it cannot vouch for.
    { pid: 40, devicesOnline: 80, handshakesTotal: 80, handshakesRejected: 0, process: usage(3000, 50, 400, 900), stale: true },
  ],
};

test('metrics of the whole backend: counters summed, CPU and memory over every process, loop delay of the worst answering worker', () => {
  expect(mergeMetrics(self, peers)).toEqual({
    pid: 10,
    devicesOnline: 270,
    handshakesTotal: 295,
    handshakesRejected: 4,
    cpuUserUs: 50 + 1000 + 2000 + 3000,
    cpuSystemUs: 5 + 100 + 200 + 300,
    rssBytes: (40 + 60 + 70 + 50) * 2 ** 20,
    heapUsedBytes: 8 * 2 ** 20 + (60 + 70 + 50) * 2 ** 19,
    eventLoopDelayP99Ms: 5,
    eventLoopDelayMaxMs: 9,
    workers: [
      { pid: 20, devicesOnline: 90 },
      { pid: 30, devicesOnline: 100 },
      { pid: 40, devicesOnline: 80, stale: true },
    ],
  });
  expect(sumDevicesOnline(self, peers)).toBe(270);
});

test('a stale worker that never answered adds its devices as 0 and no process figures', () => {
  const never: PeerStats = { ...peers, workers: [{ pid: 50, devicesOnline: 0, handshakesTotal: 0, handshakesRejected: 0, process: null, stale: true }] };
  const merged = mergeMetrics(self, never);
  expect(merged.rssBytes).toBe((40 + 60) * 2 ** 20);
  expect(merged.workers).toEqual([{ pid: 30, devicesOnline: 100 }, { pid: 50, devicesOnline: 0, stale: true }]);
});

test('a device is online or seen if any worker says so; the newest buffered ack wins', () => {
  expect(
    mergeDeviceViews([
      { online: false, seen: true, pendingAckVersion: 2 },
      { online: true, seen: true, pendingAckVersion: null },
      { online: false, seen: false, pendingAckVersion: 3 },
    ]),
  ).toEqual({ online: true, seen: true, pendingAckVersion: 3 });
  expect(mergeDeviceViews([{ online: false, seen: false, pendingAckVersion: null }])).toEqual({ online: false, seen: false, pendingAckVersion: null });
});
