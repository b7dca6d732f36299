/**
 * The custom k6 metrics of an exported script, and the metadata keys on
 * their samples: one list shared by the script (which emits them) and
 * `aftershock report --from-k6` (which reads them back). Pure: the k6
 * bundle imports it.
 *
 * Samples carry the device index as k6 metadata (`exec.vu.metrics.metadata`),
 * not as a tag: metadata is k6's place for high-cardinality values (it does
 * not create a time series per device) and `--out json` writes it on each
 * Point. Causes are tags: few values, and thresholds can select them.
 */
export const k6Metrics = {
  /** Counter: one per connection attempt. Metadata: device, attempt. */
  attempts: 'aftershock_attempts',
  /** Counter: one per failed attempt, tagged `cause`. Metadata: device, attempt. */
  failures: 'aftershock_failures',
  /** Counter: one per connection an online device lost, tagged `cause`. Metadata: device. */
  lost: 'aftershock_lost',
  /** Trend (time, real ms): attempt start to welcome, one per success. Metadata: device, attempt. */
  handshake: 'aftershock_handshake',
  /** Trend (time, scenario ms): from a lost connection to online again. Metadata: device. */
  timeToReconnect: 'aftershock_time_to_reconnect',
  /** Trend (time, scenario ms): the policy's wait before the next attempt. Metadata: device, attempt. */
  wait: 'aftershock_wait',
  /** Gauge: devices of one VU online, sampled every real second. Metadata: vu. */
  devicesOnline: 'aftershock_devices_online',
  /** Counter: devices a VU owns, added once when it starts. Metadata: vu, first, and the run's identity (below). */
  devicesStarted: 'aftershock_devices_started',
  /** Counter: devices of a VU not online when it stopped. */
  neverReturned: 'aftershock_devices_never_returned',
  /** Counter: devices of a VU online when it stopped. */
  onlineAtEnd: 'aftershock_devices_online_at_end',
} as const;

export type K6MetricKey = keyof typeof k6Metrics;

/** Metadata keys on aftershock samples. */
export const k6Metadata = {
  device: 'aftershock_device',
  attempt: 'aftershock_attempt',
  vu: 'aftershock_vu',
  /** First device index of the VU (on `devices_started`). */
  first: 'aftershock_first',
  /** The run's identity, on `devices_started` only: JSON of K6RunIdentity. */
  run: 'aftershock_run',
} as const;

/** What a report needs to know about the run, carried by every VU's `devices_started` sample. */
export interface K6RunIdentity {
  scenario: string;
  seed: string | number;
  timeScale: number;
  devices: number;
  totalVus: number;
  policy: Record<string, unknown>;
  /** aftershock's version that exported the script. */
  version: string;
}
