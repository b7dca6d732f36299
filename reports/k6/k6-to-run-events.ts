import type { RunEvent } from '../run-events.ts';
import { k6Metadata, k6Metrics, type K6RunIdentity } from './k6-metric-names.ts';
import { parseK6Time, type K6Record } from './k6-json-reader.ts';

/** A run event at a wall-clock time; `t` is filled in once the run's origin is known. */
type TimedEvent = { epochMs: number; event: RunEvent };

/** The devices one VU said it holds. */
export interface VuRange {
  vu: number;
  first: number;
  count: number;
}

export interface K6Conversion {
  identity: K6RunIdentity;
  /** Wall-clock ms of scenario time 0: the first VU's start. */
  originEpochMs: number;
  /** Every event in time order, `run-start` first; `run-end` last when every VU reported its end. */
  events: RunEvent[];
  /** Things the reader should know: gaps in device ownership, samples left out. */
  notes: string[];
  vus: VuRange[];
}

const attemptOf = (metadata: Record<string, string>): number => Number(metadata[k6Metadata.attempt] ?? 0);

/**
 * Turns the samples of an exported script's k6 metrics back into the run
 * events the local fleet records, so that the same collector folds them
 * into the same summary. Listener-shaped (`add`); `finish` adds the chaos
 * events and the run's start and end, and puts everything in time order.
 *
 * What each k6 sample becomes: an attempt counter sample an `attempt`, a
 * failure a `failure` with its `cause` tag, a handshake trend sample an
 * `online` (its value is the handshake latency), a wait trend sample a
 * `wait`, a lost counter sample a `lost`; the device is the sample's
 * metadata. Scenario time is (sample time - origin) x time scale, per-second
 * series come from these times.
 */
export class K6EventConverter {
  private readonly timed: TimedEvent[] = [];
  private identity: K6RunIdentity | undefined;
  private originEpochMs = Number.POSITIVE_INFINITY;
  private lastEpochMs = Number.NEGATIVE_INFINITY;
  private readonly vus: VuRange[] = [];
  private withoutDevice = 0;
  private badTime = 0;
  private vusEnded = 0;
  private neverReturnedReported = 0;
  private timeToReconnect = 0;
  readonly metricTypes = new Map<string, string>();

  readonly add = (record: K6Record): void => {
    if (record.type === 'Metric') {
      this.metricTypes.set(record.metric, record.data.type);
      return;
    }
    if (!record.metric.startsWith('aftershock_')) return;
    const { data } = record;
    const epochMs = parseK6Time(data.time);
    if (!Number.isFinite(epochMs)) {
      this.badTime++;
      return;
    }
    const metadata = data.metadata ?? {};
    const tags = data.tags ?? {};
    this.lastEpochMs = Math.max(this.lastEpochMs, epochMs);
    switch (record.metric) {
      case k6Metrics.devicesStarted: {
        const run = metadata[k6Metadata.run];
        if (run && !this.identity) this.identity = JSON.parse(run) as K6RunIdentity;
        this.originEpochMs = Math.min(this.originEpochMs, epochMs);
        this.vus.push({ vu: Number(metadata[k6Metadata.vu]), first: Number(metadata[k6Metadata.first]), count: data.value });
        return;
      }
      case k6Metrics.onlineAtEnd:
        this.vusEnded++;
        return;
      case k6Metrics.neverReturned:
        this.neverReturnedReported += data.value;
        return;
      case k6Metrics.devicesOnline:
        return;
      case k6Metrics.timeToReconnect:
        this.timeToReconnect++;
        return;
    }
    const deviceText = metadata[k6Metadata.device];
    if (deviceText === undefined) {
      this.withoutDevice++;
      return;
    }
    const device = Number(deviceText);
    const t = 0; // set in finish(), once the origin is known
    switch (record.metric) {
      case k6Metrics.attempts:
        this.timed.push({ epochMs, event: { type: 'attempt', t, device, attempt: attemptOf(metadata) } });
        break;
      case k6Metrics.failures:
        this.timed.push({ epochMs, event: { type: 'failure', t, device, attempt: attemptOf(metadata), cause: (tags.cause ?? 'error') as never } });
        break;
      case k6Metrics.lost:
        this.timed.push({ epochMs, event: { type: 'lost', t, device, cause: (tags.cause ?? 'close') as never } });
        break;
      case k6Metrics.handshake:
        this.timed.push({ epochMs, event: { type: 'online', t, device, attempt: attemptOf(metadata), handshakeMs: data.value } });
        break;
      case k6Metrics.wait:
        this.timed.push({ epochMs, event: { type: 'wait', t, device, attempt: attemptOf(metadata), delayMs: data.value } });
        break;
    }
  };

  /**
   * Adds the chaos timeline (events with `epochMs`, from `aftershock chaos
   * play`) and returns the run in time order. `outcomeOf` decides the
   * run-end's outcome from the devices online at the end.
   */
  finish(chaos: readonly (RunEvent & { epochMs: number })[], onlineAtEnd: (events: RunEvent[]) => number): K6Conversion {
    const identity = this.identity;
    if (!identity || !Number.isFinite(this.originEpochMs)) {
      throw new Error(`no ${k6Metrics.devicesStarted} sample with the run's identity: this k6 output was not written by a script from \`aftershock export k6\` (or the VUs never started)`);
    }
    const notes: string[] = [];
    const origin = this.originEpochMs;
    const scale = identity.timeScale;
    // To 0.01 scenario ms: epoch milliseconds carry float noise in the last digits.
    const toT = (epochMs: number): number => Math.round((epochMs - origin) * scale * 100) / 100;
    for (const item of this.timed) item.event.t = toT(item.epochMs);
    let beforeStart = 0;
    for (const event of chaos) {
      if (event.type !== 'chaos' && event.type !== 'backend') continue;
      const t = toT(event.epochMs);
      if (t < 0) {
        beforeStart++;
        continue;
      }
      const { epochMs, ...plain } = event;
      this.timed.push({ epochMs, event: { ...plain, t } as RunEvent });
    }
    if (beforeStart > 0) notes.push(`${beforeStart} chaos-file event${beforeStart > 1 ? 's' : ''} from before the first k6 VU started ${beforeStart > 1 ? 'were' : 'was'} left out (backend samples while the target waited for the load).`);
    // Stable sort: same-time events keep the order k6 wrote them in.
    this.timed.sort((a, b) => a.epochMs - b.epochMs);
    const events: RunEvent[] = [
      {
        type: 'run-start',
        t: 0,
        scenario: identity.scenario,
        seed: identity.seed,
        timeScale: scale,
        devices: identity.devices,
        startedAt: new Date(origin).toISOString(),
        versions: { aftershock: identity.version, load: 'k6' },
        policy: identity.policy,
      },
      ...this.timed.map((item) => item.event),
    ];
    if (this.withoutDevice > 0) notes.push(`${this.withoutDevice} aftershock sample${this.withoutDevice > 1 ? 's' : ''} had no device metadata and ${this.withoutDevice > 1 ? 'were' : 'was'} left out (a k6 older than v0.48, or an output that drops metadata).`);
    if (this.badTime > 0) notes.push(`${this.badTime} sample${this.badTime > 1 ? 's' : ''} had an unreadable time and ${this.badTime > 1 ? 'were' : 'was'} left out.`);
    notes.push(...ownershipNotes(this.vus, identity));
    const lastT = Math.max(toT(this.lastEpochMs), events[events.length - 1].t);
    const expectedVus = this.vus.length;
    if (this.vusEnded >= expectedVus && expectedVus > 0) {
      const online = onlineAtEnd(events);
      events.push({ type: 'run-end', t: lastT, outcome: online === identity.devices ? 'recovered' : 'deadline' });
      const neverReturned = identity.devices - online;
      if (neverReturned !== this.neverReturnedReported) {
        notes.push(`The VUs reported ${this.neverReturnedReported} device${this.neverReturnedReported === 1 ? '' : 's'} offline at their end; the events say ${neverReturned} (samples lost between k6 and its output?).`);
      }
    } else {
      notes.push(`${expectedVus - this.vusEnded} of ${expectedVus} VUs did not report their end (k6 stopped early, or an output file is cut short): the run is partial.`);
    }
    return { identity, originEpochMs: origin, events, notes, vus: [...this.vus].sort((a, b) => a.first - b.first) };
  }
}

/**
 * Checks that the VUs' device ranges cover every device exactly once: a
 * missing k6 output file (one runner of several) shows as a gap.
 */
export function ownershipNotes(vus: readonly VuRange[], identity: Pick<K6RunIdentity, 'devices' | 'totalVus'>): string[] {
  const notes: string[] = [];
  const sorted = [...vus].sort((a, b) => a.first - b.first || a.vu - b.vu);
  let next = 0;
  const gaps: string[] = [];
  let overlaps = 0;
  for (const range of sorted) {
    if (range.count === 0) continue;
    if (range.first > next) gaps.push(`${next}-${range.first - 1}`);
    else if (range.first < next) overlaps++;
    next = Math.max(next, range.first + range.count);
  }
  if (next < identity.devices) gaps.push(`${next}-${identity.devices - 1}`);
  if (vus.length !== identity.totalVus) notes.push(`${vus.length} of the ${identity.totalVus} VUs the script was exported for started (give every k6 instance's output with --from-k6).`);
  if (gaps.length > 0) notes.push(`No VU held devices ${gaps.slice(0, 5).join(', ')}${gaps.length > 5 ? ', ...' : ''}: they count as never returned.`);
  if (overlaps > 0) notes.push(`${overlaps} VU${overlaps > 1 ? 's' : ''} held devices another VU held too (the same k6 output given twice?).`);
  return notes;
}
