import type { Clock, TimerHandle } from '../../../simulators/devices/clock.ts';
import { deviceBootAfterMs, deviceBootKey, devicePolicyKey } from '../../../simulators/devices/device-streams.ts';
import { subjectRng, type ReconnectPolicy, type Rng } from '../../../simulators/devices/policy/index.ts';
import type { ProtocolAdapter } from '../../../simulators/devices/protocol-adapter.ts';
import { TimerQueue } from '../../../simulators/devices/timer-queue.ts';
import { failureCauseOf, lossCauseOf, type K6FailureCause, type K6LossCause } from './k6-error-cause.ts';

/**
 * The fleet's device state machine for one k6 VU: the same states, timeouts,
 * policy, random streams and protocol as simulators/devices/fleet.ts, on
 * k6's WebSocket API instead of ws. Pure apart from what it is given (a
 * socket factory, a clock built on k6's timers, a sink for metrics), so it
 * runs in k6 and in a unit test alike.
 *
 * The protocol adapter decides what a welcome is (or that an open socket
 * is online), and what counts as a heartbeat: server pings (k6 answers
 * them and reports a `ping` event), any frame, or nothing.
 *
 * What k6 changes: the script cannot see TCP connect apart from the HTTP
 * upgrade, so `connectTimeout` bounds the time until the socket is open
 * (TCP and upgrade) and `handshakeTimeout` the time from open to welcome.
 * A socket still connecting is never closed (k6's close() on a connecting
 * socket waits for the dial), only abandoned: its later events are ignored
 * and, if it opens, it is closed then.
 */

/** The part of k6's WebSocket this fleet uses (k6/websockets and k6/experimental/websockets alike). */
export interface K6Socket {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  onopen: () => void;
  onmessage: (event?: { data: unknown }) => void;
  onerror: (event?: { error?: unknown }) => void;
  onclose: (event?: { code?: number }) => void;
  onping: () => void;
}

/** readyState of an open k6 WebSocket (the WebSocket standard's OPEN). */
const OPEN = 1;

/** Where the fleet reports what happens; the k6 entry turns each call into a metric sample. */
export interface K6FleetSink {
  attempt(device: number, attempt: number): void;
  wait(device: number, attempt: number, delayMs: number): void;
  /** `timeToReconnectMs`: scenario ms since this device lost its connection, or null for its first connection. */
  online(device: number, attempt: number, handshakeMs: number, timeToReconnectMs: number | null): void;
  failure(device: number, attempt: number, cause: K6FailureCause): void;
  lost(device: number, cause: K6LossCause): void;
  /** Devices of this fleet online now, about once a real second. */
  onlineCount(online: number): void;
}

export interface K6FleetOptions {
  /** Index of this VU's first device in the whole fleet, and how many it holds. */
  firstDevice: number;
  devices: number;
  baseUrl: string;
  policy: ReconnectPolicy;
  adapter: ProtocolAdapter;
  seed: string | number;
  timeScale: number;
  /** Scenario-time durations, ms. */
  rampUpMs: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  heartbeatTimeoutMs: number;
  clock: Clock;
  openSocket: (url: string) => K6Socket;
  sink: K6FleetSink;
  /** Real ms between online-count samples (default 1000). */
  sampleEveryMs?: number;
}

/** The stable id of the device at `index`, as the local fleet names it (fleet.ts `deviceIdOf`; a test keeps the two equal). */
export function deviceIdOf(index: number): string {
  return `d-${String(index + 1).padStart(6, '0')}`;
}

const State = { idle: 0, waiting: 1, connecting: 2, handshaking: 3, online: 4, stopped: 5 } as const;

export class K6Fleet {
  private readonly o: K6FleetOptions;
  private readonly state: Uint8Array;
  private readonly attempt: Int32Array;
  private readonly previousDelayMs: Float64Array;
  /** Real (clock) ms the current attempt started. */
  private readonly attemptStartedAt: Float64Array;
  private readonly lastHeartbeatAt: Float64Array;
  /** Scenario ms the device lost its connection; NaN while it has not. */
  private readonly lostAt: Float64Array;
  private readonly sockets: (K6Socket | null)[];
  private readonly rngs: Rng[];
  private readonly ids: string[];
  private readonly timers: TimerQueue;
  private readonly originMs: number;
  private readonly connectTimeoutRealMs: number;
  private readonly handshakeTimeoutRealMs: number;
  private readonly heartbeatTimeoutRealMs: number;
  private online = 0;
  private stopped = false;
  private sweepTimer: TimerHandle | undefined;
  private sampleTimer: TimerHandle | undefined;

  constructor(options: K6FleetOptions) {
    this.o = options;
    const n = options.devices;
    this.state = new Uint8Array(n);
    this.attempt = new Int32Array(n);
    this.previousDelayMs = new Float64Array(n);
    this.attemptStartedAt = new Float64Array(n);
    this.lastHeartbeatAt = new Float64Array(n);
    this.lostAt = new Float64Array(n).fill(Number.NaN);
    this.sockets = new Array<K6Socket | null>(n).fill(null);
    const policyKey = devicePolicyKey(options.seed);
    this.rngs = [];
    this.ids = [];
    for (let slot = 0; slot < n; slot++) {
      this.rngs.push(subjectRng(policyKey, options.firstDevice + slot));
      this.ids.push(deviceIdOf(options.firstDevice + slot));
    }
    this.originMs = options.clock.now();
    this.connectTimeoutRealMs = options.connectTimeoutMs / options.timeScale;
    this.handshakeTimeoutRealMs = options.handshakeTimeoutMs / options.timeScale;
    this.heartbeatTimeoutRealMs = options.heartbeatTimeoutMs / options.timeScale;
    this.timers = new TimerQueue(options.clock, n, (slot) => this.onDeadline(slot));
  }

  /** Boots every device at its own time within the ramp-up (the same draw as the local fleet). */
  start(): void {
    const { clock, seed, rampUpMs, timeScale, firstDevice } = this.o;
    const now = clock.now();
    const bootKey = deviceBootKey(seed);
    for (let slot = 0; slot < this.o.devices; slot++) {
      this.state[slot] = State.waiting;
      this.timers.schedule(slot, now + deviceBootAfterMs(bootKey, firstDevice + slot, rampUpMs) / timeScale);
    }
    const sweepEveryMs = Math.max(5, this.heartbeatTimeoutRealMs / 8);
    const sweep = (): void => {
      if (this.stopped) return;
      this.checkHeartbeats();
      this.sweepTimer = clock.setTimeout(sweep, sweepEveryMs);
    };
    this.sweepTimer = clock.setTimeout(sweep, sweepEveryMs);
    const sampleEveryMs = this.o.sampleEveryMs ?? 1000;
    const sample = (): void => {
      if (this.stopped) return;
      this.o.sink.onlineCount(this.online);
      this.sampleTimer = clock.setTimeout(sample, sampleEveryMs);
    };
    sample();
  }

  get onlineCount(): number {
    return this.online;
  }

  get size(): number {
    return this.o.devices;
  }

  /**
   * Stops every device: timers cancelled, open sockets closed (connecting
   * ones are left to finish and closed when they open). Returns how many
   * were online. Idempotent.
   */
  stop(): { online: number; offline: number } {
    const online = this.online;
    if (this.stopped) return { online, offline: this.o.devices - online };
    this.stopped = true;
    this.o.sink.onlineCount(online);
    const { clock } = this.o;
    if (this.sweepTimer !== undefined) clock.clearTimeout(this.sweepTimer);
    if (this.sampleTimer !== undefined) clock.clearTimeout(this.sampleTimer);
    this.timers.stop();
    for (let slot = 0; slot < this.o.devices; slot++) {
      this.dropSocket(slot);
      this.state[slot] = State.stopped;
    }
    return { online, offline: this.o.devices - online };
  }

  private scenarioNow(): number {
    return (this.o.clock.now() - this.originMs) * this.o.timeScale;
  }

  private device(slot: number): number {
    return this.o.firstDevice + slot;
  }

  private onDeadline(slot: number): void {
    if (this.stopped) return;
    switch (this.state[slot]) {
      case State.waiting:
        this.connect(slot);
        break;
      case State.connecting:
        this.fail(slot, 'connect-timeout');
        break;
      case State.handshaking:
        this.fail(slot, 'handshake-timeout');
        break;
    }
  }

  private connect(slot: number): void {
    const { clock, adapter, baseUrl, sink } = this.o;
    const now = clock.now();
    this.attemptStartedAt[slot] = now;
    this.state[slot] = State.connecting;
    sink.attempt(this.device(slot), this.attempt[slot]);
    this.timers.schedule(slot, now + this.connectTimeoutRealMs);
    let socket: K6Socket;
    try {
      socket = this.o.openSocket(adapter.urlFor(baseUrl, this.ids[slot]));
    } catch (error) {
      this.fail(slot, failureCauseOf(String((error as Error)?.message ?? error)));
      return;
    }
    this.sockets[slot] = socket;
    socket.onopen = () => this.handleOpen(slot, socket);
    socket.onmessage = (event) => this.handleMessage(slot, socket, event?.data);
    socket.onping = () => {
      if (this.sockets[slot] === socket) this.lastHeartbeatAt[slot] = clock.now();
    };
    socket.onerror = (event) => this.handleEnd(slot, socket, errorText(event?.error));
    socket.onclose = (event) => this.handleEnd(slot, socket, undefined, event?.code);
  }

  private handleOpen(slot: number, socket: K6Socket): void {
    if (this.sockets[slot] !== socket || this.stopped) {
      // An abandoned attempt that opened after all: it is no one's connection.
      socket.close();
      return;
    }
    if (this.state[slot] !== State.connecting) return;
    this.state[slot] = State.handshaking;
    this.timers.schedule(slot, this.o.clock.now() + this.handshakeTimeoutRealMs);
    const hello = this.o.adapter.helloFor(this.ids[slot]);
    // The adapters a k6 script speaks (script/k6-adapters.ts) send text frames.
    if (typeof hello === 'string') socket.send(hello);
    // An adapter without a welcome frame: the open socket is the connection.
    if (this.o.adapter.onlineOnOpen) this.goOnline(slot);
  }

  private handleMessage(slot: number, socket: K6Socket, data: unknown): void {
    if (this.sockets[slot] !== socket || this.stopped || typeof data !== 'string') return;
    const message = this.o.adapter.parse(data);
    if (this.state[slot] === State.online && this.o.adapter.heartbeat === 'message') this.lastHeartbeatAt[slot] = this.o.clock.now();
    if (message.kind === 'welcome' && this.state[slot] === State.handshaking) {
      this.goOnline(slot);
    } else if (message.kind === 'assign') {
      const ack = this.o.adapter.ackFor(message.version);
      if (ack !== null && socket.readyState === OPEN) socket.send(ack);
    }
  }

  private goOnline(slot: number): void {
    const now = this.o.clock.now();
    this.timers.cancel(slot);
    this.state[slot] = State.online;
    this.online++;
    this.lastHeartbeatAt[slot] = now;
    const attempt = this.attempt[slot];
    this.attempt[slot] = 0;
    this.previousDelayMs[slot] = 0;
    const lostAt = this.lostAt[slot];
    this.lostAt[slot] = Number.NaN;
    const scenarioNow = this.scenarioNow();
    this.o.sink.online(this.device(slot), attempt, now - this.attemptStartedAt[slot], Number.isNaN(lostAt) ? null : scenarioNow - lostAt);
  }

  /** An error or close of the device's current socket; `code` only for close events. */
  private handleEnd(slot: number, socket: K6Socket, error: string | undefined, code?: number): void {
    if (this.sockets[slot] !== socket || this.stopped) return;
    switch (this.state[slot]) {
      case State.online:
        this.lose(slot, lossCauseOf(error));
        break;
      case State.connecting:
        this.fail(slot, error === undefined ? 'reset' : failureCauseOf(error));
        break;
      case State.handshaking:
        // As the local fleet: an error by its cause; a close without a
        // close frame (1006, or no code at all) is a reset, any other close
        // a rejection.
        if (error !== undefined) this.fail(slot, failureCauseOf(error));
        else this.fail(slot, code === undefined || code === 1006 ? 'reset' : 'rejected');
        break;
    }
  }

  private checkHeartbeats(): void {
    // An adapter whose backend sends nothing while idle: no heartbeat timeout.
    if (this.o.adapter.heartbeat === 'none') return;
    const now = this.o.clock.now();
    const limit = this.heartbeatTimeoutRealMs;
    for (let slot = 0; slot < this.o.devices; slot++) {
      if (this.state[slot] === State.online && now - this.lastHeartbeatAt[slot] > limit) this.lose(slot, 'heartbeat-timeout');
    }
  }

  /** An online device lost its connection: back to the policy from attempt 1. */
  private lose(slot: number, cause: K6LossCause): void {
    this.dropSocket(slot);
    this.online--;
    this.lostAt[slot] = this.scenarioNow();
    this.o.sink.lost(this.device(slot), cause);
    this.attempt[slot] = 0;
    this.previousDelayMs[slot] = 0;
    this.waitForNextAttempt(slot);
  }

  /** An attempt failed: count it by cause and wait as the policy says. */
  private fail(slot: number, cause: K6FailureCause): void {
    this.dropSocket(slot);
    this.o.sink.failure(this.device(slot), this.attempt[slot], cause);
    this.waitForNextAttempt(slot);
  }

  private dropSocket(slot: number): void {
    const socket = this.sockets[slot];
    this.sockets[slot] = null;
    if (socket && socket.readyState === OPEN) socket.close();
  }

  private waitForNextAttempt(slot: number): void {
    const attempt = this.attempt[slot] + 1;
    const delayMs = this.o.policy.nextDelayMs(attempt, this.previousDelayMs[slot], this.rngs[slot]);
    this.attempt[slot] = attempt;
    this.previousDelayMs[slot] = delayMs;
    this.state[slot] = State.waiting;
    this.o.sink.wait(this.device(slot), attempt, delayMs);
    this.timers.schedule(slot, this.o.clock.now() + delayMs / this.o.timeScale);
  }
}

function errorText(error: unknown): string {
  return typeof error === 'string' ? error : error instanceof Error ? error.message : String(error ?? 'error');
}
