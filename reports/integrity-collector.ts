import type { ApiWindowName, ApiWindowResult } from './integrity-events.ts';
import type { RunEvent } from './run-events.ts';

/** At most this many examples are kept of anything listed per device. */
const sampleSize = 20;

/** One acknowledged write that the backend no longer has. */
export interface LostAssignment {
  device: number;
  version: number;
  url: string;
  /** Scenario ms when the API acknowledged it. */
  ackedAtMs: number;
  /** How the check knew: the backend is behind it, holds another URL under its version, or handed its version out again. */
  why: 'rolled-back' | 'other-url' | 'version-reissued';
}

/** The integrity section of a run summary (present when the scenario has `integrity`). */
export interface IntegritySummary {
  /** Assignments per scenario second the run wrote. */
  writesPerSecond: number;
  /** Whether devices fetched their content from the origin. */
  origin: boolean;
  assignments: {
    /** Writes sent to the API (seeding included). */
    attempted: number;
    /** Answered 200 with a version: each must still be in the backend after recovery. */
    acknowledged: number;
    /** Sent but not acknowledged, by cause (refused, timeout, ...): expected during an outage, and not loss. attempted = acknowledged + failed.total. */
    failed: { total: number; byCause: Record<string, number> };
    /** Due but not sent: the ledger's in-flight limit was reached (the backend was answering too slowly). */
    notSent: number;
    /** Acknowledged writes the backend no longer has. Null: the check did not run. */
    lost: number | null;
    lostSample: LostAssignment[];
    /** Devices the check read back, and those it could not read (they count as neither lost nor converged). */
    devicesChecked: number;
    devicesUnreadable: number;
  };
  convergence: {
    /** Devices online at the end: each must report the backend's current content. */
    devicesOnline: number;
    devicesConverged: number;
    notConverged: { count: number; sample: number[] };
    /** Online devices whose screen shows the backend's current version (origin on); null without the origin. */
    devicesShowingLatest: number | null;
    /** Scenario ms from the last restore until the last online device reported its final content; null: no restore, or not all converged. */
    timeToConvergeMs: number | null;
  };
  contentOnScreen: {
    /** Share (0-1) of device-time with content on screen while a fault was in effect; null: no fault. */
    shareDuringOutage: number | null;
    /** Device-ms with content on screen during the faults, and device-ms in all (devices x fault time), scenario time. */
    deviceMsOnScreen: number;
    deviceMsTotal: number;
    /** Devices with content on screen at the end. */
    devicesShowingAtEnd: number;
    /** Failed fetches from the origin, by what and cause ("content:timeout"). */
    fetchFailures: { total: number; byCause: Record<string, number> };
  };
  /** The API under load (autocannon, GET /devices/:id) before the fault, during the storm and after; null: window not run. */
  api: Record<ApiWindowName, ApiWindowResult | { error: string } | null>;
}

interface Ack {
  version: number;
  url: string;
  t: number;
}

/**
 * Folds the integrity events of a run (and the fleet's content events) into
 * the `integrity` section of its summary. Fed every run event by the
 * RunCollector; silent (`summary` returns null) unless the run had integrity
 * checks.
 */
export class IntegrityCollector {
  private writesPerSecond: number | null = null;
  private origin = false;
  private attempted = 0;
  private notSent = 0;
  private readonly failedByCause: Record<string, number> = {};
  private readonly acked = new Map<number, Ack[]>();
  private acknowledged = 0;
  /** The backend's content per device after recovery; 'unreadable' when the check could not read it. */
  private readonly checked = new Map<number, { version: number; url: string } | null | 'unreadable'>();
  private checkRan = false;
  /** Last content version each device reported (NaN: none) and when. */
  private contentVersion = new Float64Array(0);
  private contentAt = new Float64Array(0);
  /** First time each device had content on screen (NaN: never), and what it shows now (0: nothing). */
  private showingSince = new Float64Array(0);
  private firstContentAt = new Float64Array(0);
  private shownVersion = new Float64Array(0);
  private readonly fetchFailures: Record<string, number> = {};
  private readonly faultStart = new Map<number, number>();
  private readonly faults: [number, number][] = [];
  private lastT = 0;
  private readonly api: IntegritySummary['api'] = { before: null, during: null, after: null };

  readonly add = (event: RunEvent): void => {
    this.lastT = Math.max(this.lastT, event.t);
    switch (event.type) {
      case 'run-start': {
        const n = event.devices;
        this.contentVersion = new Float64Array(n).fill(Number.NaN);
        this.contentAt = new Float64Array(n).fill(Number.NaN);
        this.showingSince = new Float64Array(n).fill(Number.NaN);
        this.firstContentAt = new Float64Array(n).fill(Number.NaN);
        this.shownVersion = new Float64Array(n);
        break;
      }
      case 'integrity-start':
        this.writesPerSecond = event.writesPerSecond;
        this.origin = event.origin;
        break;
      case 'chaos':
        if (event.action === 'inject') this.faultStart.set(event.index, event.t);
        if (event.action === 'undo' && this.faultStart.has(event.index)) {
          this.faults.push([this.faultStart.get(event.index)!, event.t]);
          this.faultStart.delete(event.index);
        }
        break;
      case 'content':
        this.contentVersion[event.device] = event.version;
        this.contentAt[event.device] = event.t;
        if (Number.isNaN(this.firstContentAt[event.device])) this.firstContentAt[event.device] = event.t;
        break;
      case 'showing':
        this.shownVersion[event.device] = event.version;
        if (Number.isNaN(this.showingSince[event.device])) this.showingSince[event.device] = event.t;
        break;
      case 'content-fetch-failed':
        increment(this.fetchFailures, `${event.what}:${event.cause}`);
        break;
      case 'assignment': {
        this.attempted++;
        this.acknowledged++;
        const list = this.acked.get(event.device);
        const ack = { version: event.version, url: event.url, t: event.t };
        if (list) list.push(ack);
        else this.acked.set(event.device, [ack]);
        break;
      }
      case 'assignment-failed':
        // Writes never sent (the in-flight limit) were not attempted.
        if (event.cause === 'in-flight-limit') this.notSent++;
        else {
          this.attempted++;
          increment(this.failedByCause, event.cause);
        }
        break;
      case 'assignment-check':
        this.checkRan = true;
        this.checked.set(event.device, 'error' in event ? 'unreadable' : event.content);
        break;
      case 'api-load': {
        const { type: _type, t: _t, window, ...result } = event;
        this.api[window] = result;
        break;
      }
    }
  };

  /** The integrity section, or null when the run had no integrity checks. `isOnline[d]` is 1 for devices online at the end. */
  summary(context: { isOnline: Uint8Array; restoredAt: number | null }): IntegritySummary | null {
    if (this.writesPerSecond === null) return null;
    const devices = context.isOnline.length;

    // Lost: an acknowledged (version, url) the backend no longer has. Versions
    // are the backend's, so a write lost in a crash and a later one that got
    // its version again look alike by version: compare the pairs.
    const lostSample: LostAssignment[] = [];
    let lost = 0;
    let unreadable = 0;
    for (const [device, state] of this.checked) {
      if (state === 'unreadable') {
        unreadable++;
        continue;
      }
      const acks = this.acked.get(device) ?? [];
      const latestUrlOf = new Map<number, Ack>();
      for (const ack of acks) {
        const seen = latestUrlOf.get(ack.version);
        if (!seen || ack.t >= seen.t) latestUrlOf.set(ack.version, ack);
      }
      for (const ack of acks) {
        let why: LostAssignment['why'] | null = null;
        if (state === null || state.version < ack.version) why = 'rolled-back';
        else if (state.version === ack.version && state.url !== ack.url) why = 'other-url';
        else if (latestUrlOf.get(ack.version)!.url !== ack.url) why = 'version-reissued';
        if (why === null) continue;
        lost++;
        if (lostSample.length < sampleSize) lostSample.push({ device, version: ack.version, url: ack.url, ackedAtMs: ack.t, why });
      }
    }

    // Converged: every online device reports the backend's current version.
    let online = 0;
    let converged = 0;
    let showingLatest = 0;
    let lastConvergedAt = Number.NEGATIVE_INFINITY;
    const notConverged: number[] = [];
    let notConvergedCount = 0;
    for (let d = 0; d < devices; d++) {
      if (!context.isOnline[d]) continue;
      online++;
      const state = this.checked.get(d);
      const reported = Number.isNaN(this.contentVersion[d]) ? null : this.contentVersion[d];
      const expected = state === undefined || state === 'unreadable' ? undefined : (state?.version ?? null);
      if (expected !== undefined && reported === expected) {
        converged++;
        if (reported !== null) lastConvergedAt = Math.max(lastConvergedAt, this.contentAt[d]);
        if (this.origin && (expected === null ? this.shownVersion[d] === 0 : this.shownVersion[d] === expected)) showingLatest++;
      } else {
        notConvergedCount++;
        if (notConverged.length < sampleSize) notConverged.push(d);
      }
    }
    const restoredAt = context.restoredAt;
    const timeToConvergeMs =
      restoredAt === null || notConvergedCount > 0 || !this.checkRan ? null : Math.round(Math.max(0, Number.isFinite(lastConvergedAt) ? lastConvergedAt - restoredAt : 0));

    // Content on screen while a fault was in effect. Without the origin,
    // what the backend delivered is what is shown.
    const windows = mergeIntervals([...this.faults, ...[...this.faultStart.values()].map((start): [number, number] => [start, this.lastT])]);
    const faultMs = windows.reduce((sum, [a, b]) => sum + (b - a), 0);
    const since = this.origin ? this.showingSince : this.firstContentAt;
    let onScreenMs = 0;
    let showingAtEnd = 0;
    for (let d = 0; d < devices; d++) {
      const from = since[d];
      if (Number.isNaN(from)) continue;
      showingAtEnd++;
      for (const [a, b] of windows) onScreenMs += Math.max(0, b - Math.max(a, from));
    }
    const deviceMsTotal = devices * faultMs;

    return {
      writesPerSecond: this.writesPerSecond,
      origin: this.origin,
      assignments: {
        attempted: this.attempted,
        acknowledged: this.acknowledged,
        failed: { total: Object.values(this.failedByCause).reduce((a, b) => a + b, 0), byCause: { ...this.failedByCause } },
        notSent: this.notSent,
        lost: this.checkRan ? lost : null,
        lostSample,
        devicesChecked: this.checked.size - unreadable,
        devicesUnreadable: unreadable,
      },
      convergence: {
        devicesOnline: online,
        devicesConverged: converged,
        notConverged: { count: notConvergedCount, sample: notConverged },
        devicesShowingLatest: this.origin ? showingLatest : null,
        timeToConvergeMs,
      },
      contentOnScreen: {
        shareDuringOutage: deviceMsTotal > 0 ? +(onScreenMs / deviceMsTotal).toFixed(6) : null,
        deviceMsOnScreen: Math.round(onScreenMs),
        deviceMsTotal: Math.round(deviceMsTotal),
        devicesShowingAtEnd: showingAtEnd,
        fetchFailures: { total: Object.values(this.fetchFailures).reduce((a, b) => a + b, 0), byCause: { ...this.fetchFailures } },
      },
      api: { ...this.api },
    };
  }
}

function increment(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

/** Sorted, non-overlapping union of intervals. */
function mergeIntervals(intervals: [number, number][]): [number, number][] {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}
