// The k6 script of an exported scenario. `aftershock export k6` bundles this
// module with esbuild into one ES module (the policy library, the device
// streams, the protocol adapter and the device state machine included) and
// writes the scenario in as AFTERSHOCK_CONFIG and AFTERSHOCK_OPTIONS. The
// k6 modules stay imports: k6/websockets and k6/timers are rewritten to the
// modules the targeted k6 release has (scenarios/k6/k6-versions.ts), e.g.
// k6/experimental/websockets before v1.6.
import exec from 'k6/execution';
import { Counter, Gauge, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { clearTimeout, setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import { k6Metadata, k6Metrics, type K6RunIdentity } from '../../../reports/k6/k6-metric-names.ts';
import type { Clock } from '../../../simulators/devices/clock.ts';
import { createPolicy } from '../../../simulators/devices/policy/index.ts';
import { devicesOfVu } from '../device-ownership.ts';
import { targetUrlVariable, type K6ScriptConfig } from '../k6-script-config.ts';
import { createK6Adapter } from './k6-adapters.ts';
import { K6Fleet, type K6Socket } from './k6-fleet.ts';

declare const AFTERSHOCK_CONFIG: K6ScriptConfig;
declare const AFTERSHOCK_OPTIONS: Options;

const config: K6ScriptConfig = AFTERSHOCK_CONFIG;

/** Scenarios (one per-vu-iterations scenario: each VU holds its devices for one long iteration) and thresholds. */
export const options: Options = AFTERSHOCK_OPTIONS;

/** The scenario's protocol adapter, the same code as the local fleet's (the exporter refused any the script cannot speak). */
const adapter = createK6Adapter(config.protocol);

const targetUrl = (__ENV[targetUrlVariable] || config.targetUrl || '').replace(/\/+$/, '');
if (!/^wss?:\/\//.test(targetUrl)) {
  throw new Error(
    `aftershock: ${targetUrlVariable} is ${targetUrl ? `"${targetUrl}", not a ws:// or wss:// URL` : 'not set'}; ` +
      `run k6 with -e ${targetUrlVariable}=ws://HOST:PORT (the target's base URL; the adapter adds the path), or export with --target-url`,
  );
}

// Custom metrics are declared in the init context, as k6 requires.
const attempts = new Counter(k6Metrics.attempts);
const failures = new Counter(k6Metrics.failures);
const lost = new Counter(k6Metrics.lost);
const handshake = new Trend(k6Metrics.handshake, true);
const timeToReconnect = new Trend(k6Metrics.timeToReconnect, true);
const waits = new Trend(k6Metrics.wait, true);
const devicesOnline = new Gauge(k6Metrics.devicesOnline);
const devicesStarted = new Counter(k6Metrics.devicesStarted);
const neverReturned = new Counter(k6Metrics.neverReturned);
const onlineAtEnd = new Counter(k6Metrics.onlineAtEnd);

const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as number),
};

export default function (): void {
  const vu = exec.vu.idInTest;
  const own = devicesOfVu(config.devices, config.totalVus, vu);
  // Metadata, not tags: one value per device would make a time series per
  // device. Set around each sample, on this VU's own state.
  const metadata = exec.vu.metrics.metadata;
  metadata[k6Metadata.vu] = String(vu);
  const sample = (add: () => void, device: number, attempt?: number): void => {
    metadata[k6Metadata.device] = String(device);
    if (attempt !== undefined) metadata[k6Metadata.attempt] = String(attempt);
    add();
    delete metadata[k6Metadata.device];
    if (attempt !== undefined) delete metadata[k6Metadata.attempt];
  };

  const identity: K6RunIdentity = {
    scenario: config.scenario,
    seed: config.seed,
    timeScale: config.timeScale,
    devices: config.devices,
    totalVus: config.totalVus,
    policy: { ...config.policy },
    version: config.version,
  };
  metadata[k6Metadata.first] = String(own.first);
  metadata[k6Metadata.run] = JSON.stringify(identity);
  devicesStarted.add(own.count);
  delete metadata[k6Metadata.first];
  delete metadata[k6Metadata.run];
  if (own.count === 0) {
    neverReturned.add(0);
    onlineAtEnd.add(0);
    return;
  }

  const fleet = new K6Fleet({
    firstDevice: own.first,
    devices: own.count,
    baseUrl: targetUrl,
    policy: createPolicy(config.policy),
    adapter,
    seed: config.seed,
    timeScale: config.timeScale,
    rampUpMs: config.rampUpMs,
    connectTimeoutMs: config.connectTimeoutMs,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    clock,
    // k6's WebSocket has the handlers K6Socket names; its event types are k6's own.
    openSocket: (url) => new WebSocket(url) as unknown as K6Socket,
    sink: {
      attempt: (device, attempt) => sample(() => attempts.add(1), device, attempt),
      wait: (device, attempt, delayMs) => sample(() => waits.add(delayMs), device, attempt),
      online: (device, attempt, handshakeMs, timeToReconnectMs) =>
        sample(() => {
          handshake.add(handshakeMs);
          if (timeToReconnectMs !== null) timeToReconnect.add(timeToReconnectMs);
        }, device, attempt),
      failure: (device, attempt, cause) => sample(() => failures.add(1, { cause }), device, attempt),
      lost: (device, cause) => sample(() => lost.add(1, { cause }), device),
      onlineCount: (online) => devicesOnline.add(online),
    },
  });
  fleet.start();
  // The VU's iteration lasts while timers and sockets are live: until the deadline.
  setTimeout(() => {
    const end = fleet.stop();
    neverReturned.add(end.offline);
    onlineAtEnd.add(end.online);
  }, config.deadlineMs / config.timeScale);
}
