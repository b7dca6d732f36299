import { connect as netConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { realClock, type Clock } from './clock.ts';
import type { ContentFetcher } from './content-fetcher.ts';
import type { FailureCause, FleetEventListener, LossCause } from './fleet-events.ts';
import type { ProtocolAdapter, ServerMessage } from './protocol-adapter.ts';
import { referenceAdapter } from './reference-adapter.ts';
import { deviceBootAfterMs, deviceBootKey, devicePolicyKey, heartbeatChecksPerTimeout } from './device-streams.ts';
import { subjectRng, type ReconnectPolicy, type Rng } from './policy/index.ts';
import { TimerQueue } from './timer-queue.ts';

/** Device states. A device is in exactly one at any time. */
export const DeviceState = {
  idle: 0,
  waiting: 1,
  connecting: 2,
  handshaking: 3,
  online: 4,
  stopped: 5,
} as const;
export type DeviceState = (typeof DeviceState)[keyof typeof DeviceState];
export const deviceStateNames = ['idle', 'waiting', 'connecting', 'handshaking', 'online', 'stopped'] as const;

/** The stable id of the device at `index` (0-based) in a fleet. */
export function deviceIdOf(index: number): string {
  return `d-${String(index + 1).padStart(6, '0')}`;
}

// The streams live beside the policy so that the planner draws the same ones.
export { deviceBootRng, devicePolicyRng } from './device-streams.ts';

export interface FleetOptions {
  /** Number of devices in this fleet (or shard). */
  devices: number;
  /** Index of this shard's first device in the whole fleet (default 0). */
  firstDevice?: number;
  /** Base URL of the target, e.g. ws://127.0.0.1:4000. */
  baseUrl: string;
  policy: ReconnectPolicy;
  seed: string | number;
  /** Real time runs this many times faster than scenario time. */
  timeScale: number;
  /** Scenario-time durations, in ms. */
  rampUpMs: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  heartbeatTimeoutMs: number;
  /** Clock time that is scenario time 0 (default: when the fleet is created). */
  originMs?: number;
  /** The source address for a device's connections, by fleet index (default: the OS picks). */
  localAddressFor?: (deviceIndex: number) => string | undefined;
  adapter?: ProtocolAdapter;
  clock?: Clock;
  /**
   * Where devices fetch the content they show (the origin, a CDN stand-in);
   * null (the default): devices show nothing and fetch nothing. With one, a
   * device fetches its manifest from the origin when it powers on, and the
   * content of every version the backend tells it, and emits 'showing'.
   * Showing never depends on the backend's connection.
   */
  origin?: ContentFetcher | null;
  onEvent: FleetEventListener;
}

/**
 * A failed fetch from the origin is tried again after 5 s, 10 s, 20 s, 40 s
 * and 80 s of scenario time, as long as it is still wanted; then the device
 * waits until the backend tells it a new version.
 */
const originRetries = 5;
const originRetryBaseMs = 5000;

/** Per-device state. Kept small: one of these per simulated device. */
interface Device {
  readonly index: number;
  readonly id: string;
  readonly rng: Rng;
  state: DeviceState;
  /** The attempt under way or planned next (0: the boot connection). */
  attempt: number;
  /** The policy's last returned delay, scenario ms (0 after a success). */
  previousDelayMs: number;
  /** Clock time the current attempt started (for handshake latency). */
  attemptStartedAt: number;
  /** Clock time of the last ping from the backend. */
  lastHeartbeatAt: number;
  contentVersion: number | null;
  /** The version on screen, fetched from the origin; 0: nothing yet. */
  shownVersion: number;
  socket: WebSocket | null;
  /** The TCP socket of the current attempt, to match its connect event. */
  tcp: Socket | null;
}

/** Links a socket back to its device without a closure per socket. */
const ownerOf = new WeakMap<WebSocket, Device>();

/**
 * A fleet of simulated devices, each a small state machine (waiting,
 * connecting, handshaking, online) that follows the reconnect policy on its
 * own seeded random stream. Failures are counted as events, never thrown.
 */
export class Fleet {
  private readonly options: Required<FleetOptions>;
  private readonly devices: Device[] = [];
  private readonly timers: TimerQueue;
  private readonly stateCounts = new Int32Array(deviceStateNames.length);
  private heartbeatSweep: unknown;
  /** Pending retries of origin fetches (few: only after failures), cleared by stop(). */
  private readonly originRetryTimers = new Set<unknown>();
  private keepAliveTimer: unknown;
  private stopped = false;
  /** Real-time equivalents of the scenario timeouts, ms. */
  private readonly connectTimeoutRealMs: number;
  private readonly handshakeTimeoutRealMs: number;
  private readonly heartbeatTimeoutRealMs: number;
  /** The adapter counts any frame from the backend as a heartbeat (not only pings). */
  private readonly messagesAreHeartbeats: boolean;

  constructor(options: FleetOptions) {
    const clock = options.clock ?? realClock;
    this.options = {
      firstDevice: 0,
      adapter: referenceAdapter,
      originMs: clock.now(),
      origin: null,
      ...options,
      // Given explicitly as undefined (a shard with spreading off) it means the same as absent.
      localAddressFor: options.localAddressFor ?? (() => undefined),
      clock,
    };
    const scale = options.timeScale;
    this.connectTimeoutRealMs = options.connectTimeoutMs / scale;
    this.handshakeTimeoutRealMs = options.handshakeTimeoutMs / scale;
    this.heartbeatTimeoutRealMs = options.heartbeatTimeoutMs / scale;
    this.messagesAreHeartbeats = this.options.adapter.heartbeat === 'message';
    this.timers = new TimerQueue(clock, options.devices, (i) => this.onDeadline(this.devices[i]));
    const policyKey = devicePolicyKey(options.seed);
    for (let i = 0; i < options.devices; i++) {
      const index = this.options.firstDevice + i;
      this.devices.push({
        index,
        id: deviceIdOf(index),
        rng: subjectRng(policyKey, index),
        state: DeviceState.idle,
        attempt: 0,
        previousDelayMs: 0,
        attemptStartedAt: 0,
        lastHeartbeatAt: 0,
        contentVersion: null,
        shownVersion: 0,
        socket: null,
        tcp: null,
      });
    }
    this.stateCounts[DeviceState.idle] = options.devices;

    const fleet = this;
    this.onOpen = function () {
      fleet.handleOpen(this);
    };
    this.onMessage = function (data) {
      fleet.handleMessage(this, data);
    };
    this.onPing = function () {
      fleet.handlePing(this);
    };
    this.onError = function (error) {
      fleet.handleError(this, error);
    };
    this.onClose = function (code) {
      fleet.handleClose(this, code);
    };
    this.openTcp = (connectOptions) => {
      const device = connectOptions.device;
      const tcp = netConnect(connectOptions as never);
      device.tcp = tcp;
      tcp.once('connect', () => this.handleTcpConnect(device, tcp));
      tcp.once('end', () => this.handleTcpEnd(device, tcp));
      tcp.once('error', () => this.handleTcpEnd(device, tcp));
      return tcp;
    };
  }

  /** Boots every device at a uniform random time within the ramp-up. */
  start(): void {
    const { clock, seed, rampUpMs, timeScale } = this.options;
    const now = clock.now();
    const bootKey = deviceBootKey(seed);
    for (let i = 0; i < this.devices.length; i++) {
      const device = this.devices[i];
      const bootAfterMs = deviceBootAfterMs(bootKey, device.index, rampUpMs);
      this.setState(device, DeviceState.waiting);
      this.timers.schedule(i, now + bootAfterMs / timeScale);
    }
    // One sweep for all heartbeats: checking a timestamp per device is far
    // cheaper than re-arming a timer per device on every ping.
    const sweepEveryMs = Math.max(5, this.heartbeatTimeoutRealMs / heartbeatChecksPerTimeout);
    const sweep = (): void => {
      if (this.stopped) return;
      this.checkHeartbeats();
      this.heartbeatSweep = clock.setTimeout(sweep, sweepEveryMs);
    };
    this.heartbeatSweep = clock.setTimeout(sweep, sweepEveryMs);
    const keepAlive = this.options.adapter.keepAlive;
    if (keepAlive) {
      // One timer for the fleet, as for heartbeats: every online device sends its keep-alive frame.
      const send = (): void => {
        if (this.stopped) return;
        for (const device of this.devices) if (device.state === DeviceState.online) device.socket?.send(keepAlive.frame);
        this.keepAliveTimer = clock.setTimeout(send, keepAlive.everyMs);
      };
      this.keepAliveTimer = clock.setTimeout(send, keepAlive.everyMs);
    }
  }

  /** Devices per state, e.g. { online: 1990, waiting: 10, ... }. */
  counts(): Record<(typeof deviceStateNames)[number], number> {
    const result = {} as Record<(typeof deviceStateNames)[number], number>;
    deviceStateNames.forEach((name, i) => (result[name] = this.stateCounts[i]));
    return result;
  }

  get size(): number {
    return this.devices.length;
  }

  /** The content version each device shows, by fleet index (null: none yet). */
  contentVersions(): (number | null)[] {
    return this.devices.map((d) => d.contentVersion);
  }

  /** Closes every connection and cancels every timer. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.options.clock.clearTimeout(this.heartbeatSweep);
    for (const timer of this.originRetryTimers) this.options.clock.clearTimeout(timer);
    this.originRetryTimers.clear();
    if (this.keepAliveTimer !== undefined) this.options.clock.clearTimeout(this.keepAliveTimer);
    this.timers.stop();
    for (const device of this.devices) {
      const socket = device.socket;
      device.socket = null;
      if (socket) socket.terminate();
      this.setState(device, DeviceState.stopped);
    }
  }

  private scenarioNow(): number {
    return (this.options.clock.now() - this.options.originMs) * this.options.timeScale;
  }

  private setState(device: Device, state: DeviceState): void {
    this.stateCounts[device.state]--;
    this.stateCounts[state]++;
    device.state = state;
  }

  private deviceSlot(device: Device): number {
    return device.index - this.options.firstDevice;
  }

  private onDeadline(device: Device): void {
    if (this.stopped) return;
    switch (device.state) {
      case DeviceState.waiting:
        this.connect(device);
        break;
      case DeviceState.connecting:
        this.fail(device, 'connect-timeout');
        break;
      case DeviceState.handshaking:
        this.fail(device, 'handshake-timeout');
        break;
    }
  }

  private connect(device: Device): void {
    const { clock, adapter, baseUrl, localAddressFor } = this.options;
    const now = clock.now();
    device.attemptStartedAt = now;
    this.setState(device, DeviceState.connecting);
    this.options.onEvent({ type: 'attempt', t: this.scenarioNow(), device: device.index, attempt: device.attempt });
    // Attempt 0 happens once, when the device powers on: it shows its last
    // known content from the origin, whether the backend answers or not.
    if (device.attempt === 0 && this.options.origin !== null) this.showFromManifest(device);
    this.timers.schedule(this.deviceSlot(device), now + this.connectTimeoutRealMs);

    const localAddress = localAddressFor(device.index);
    let socket: WebSocket;
    try {
      socket = new WebSocket(adapter.urlFor(baseUrl, device.id), adapter.subprotocol, {
        perMessageDeflate: false,
        localAddress,
        // Our own connect function tells TCP connect apart from the
        // WebSocket handshake, so the two timeouts are measured separately.
        createConnection: this.openTcp as never,
        device,
      } as WebSocket.ClientOptions);
    } catch (error) {
      this.fail(device, 'error');
      return;
    }
    device.socket = socket;
    ownerOf.set(socket, device);
    socket.on('open', this.onOpen);
    socket.on('message', this.onMessage);
    socket.on('ping', this.onPing);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  /** The device of a socket, if that socket is still the device's current one. */
  private current(socket: WebSocket): Device | undefined {
    const device = ownerOf.get(socket);
    return device && device.socket === socket && !this.stopped ? device : undefined;
  }

  // One listener function per fleet, not per socket: ws calls each with the
  // socket as `this`.
  private readonly onOpen: (this: WebSocket) => void;
  private readonly onMessage: (this: WebSocket, data: WebSocket.RawData) => void;
  private readonly onPing: (this: WebSocket) => void;
  private readonly onError: (this: WebSocket, error: Error) => void;
  private readonly onClose: (this: WebSocket, code: number) => void;
  /** ws's `createConnection` hook: plain TCP, reporting when TCP is up. */
  private readonly openTcp: (options: { device: Device }) => Socket;

  private handleTcpConnect(device: Device, tcp: Socket): void {
    if (this.stopped || device.tcp !== tcp || device.state !== DeviceState.connecting) return;
    this.setState(device, DeviceState.handshaking);
    this.timers.schedule(this.deviceSlot(device), this.options.clock.now() + this.handshakeTimeoutRealMs);
  }

  /**
   * The backend's end of an online device's stream was read (its FIN, or a
   * reset): the device has lost its connection, as a device of its own
   * notices the moment its read returns. The WebSocket's close event comes
   * later, after the shard's one thread has read every other socket's end:
   * in a bare ws client on this machine, 5,000 sockets of a killed backend
   * end within 120 ms and close within 300-450 ms (6-9 s of scenario time at
   * scale 20), which made the fleet's notice of a kill that much late.
   * Closing by the WebSocket's protocol (a close frame) ends the stream too,
   * so the cause is the same: `close`.
   */
  private handleTcpEnd(device: Device, tcp: Socket): void {
    if (this.stopped || device.tcp !== tcp || device.state !== DeviceState.online) return;
    // Let go of the sockets first, so that lose() does not terminate the WebSocket (see below).
    device.socket = null;
    device.tcp = null;
    this.lose(device, 'close');
    // The device is done with this connection. Its WebSocket's own closing
    // (the close handshake's bookkeeping, its close event) is skipped: done for
    // thousands of sockets at once it ran after the notices and held up the
    // retries that came soonest, by seconds of scenario time at scale 20.
    tcp.removeAllListeners();
    tcp.on('error', ignoreSocketError);
    tcp.destroy();
  }

  private handleOpen(socket: WebSocket): void {
    const device = this.current(socket);
    if (!device) return;
    const hello = this.options.adapter.helloFor(device.id);
    if (hello !== null) socket.send(hello);
    if (this.options.adapter.onlineOnOpen) this.welcome(device, { kind: 'welcome', contentVersion: null });
  }

  private handleMessage(socket: WebSocket, data: WebSocket.RawData): void {
    const device = this.current(socket);
    if (!device) return;
    const adapter = this.options.adapter;
    if (this.messagesAreHeartbeats && device.state === DeviceState.online) device.lastHeartbeatAt = this.options.clock.now();
    if (adapter.parseFrame) {
      const message = adapter.parseFrame(data as Buffer, device.id);
      if (message === 'heartbeat') device.lastHeartbeatAt = this.options.clock.now();
      else if (message.kind === 'welcome' && device.state !== DeviceState.online) this.welcome(device, message);
      return;
    }
    const text = data.toString();
    if (adapter.respond) {
      const reply = adapter.respond(text, device.id);
      if (reply !== null) socket.send(reply);
      if (adapter.isHeartbeat?.(text)) device.lastHeartbeatAt = this.options.clock.now();
    }
    const message = adapter.parse(text);
    if (message.kind === 'welcome' && device.state !== DeviceState.online) {
      this.welcome(device, message);
    } else if (message.kind === 'assign') {
      const ack = this.options.adapter.ackFor(message.version);
      if (ack !== null) socket.send(ack);
      this.showContent(device, message.version, message.url);
    }
  }

  /** The device is online: its attempt ends, its policy resets. */
  private welcome(device: Device, message: Extract<ServerMessage, { kind: 'welcome' }>): void {
    const now = this.options.clock.now();
    this.timers.cancel(this.deviceSlot(device));
    this.setState(device, DeviceState.online);
    device.lastHeartbeatAt = now;
    const attempt = device.attempt;
    device.attempt = 0;
    device.previousDelayMs = 0;
    this.options.onEvent({ type: 'online', t: this.scenarioNow(), device: device.index, attempt, handshakeMs: now - device.attemptStartedAt });
    if (message.contentVersion !== null) this.showContent(device, message.contentVersion, message.contentUrl ?? null);
  }

  private showContent(device: Device, version: number, url: string | null): void {
    if (device.contentVersion === version) return;
    device.contentVersion = version;
    this.options.onEvent({ type: 'content', t: this.scenarioNow(), device: device.index, version });
    if (url !== null && device.shownVersion !== version && this.options.origin !== null) this.fetchAndShow(device, version, url);
  }

  /** At power-on: the origin's manifest, shown unless the backend has spoken first. */
  private showFromManifest(device: Device, attempt = 0): void {
    void this.options.origin!.manifest(device.id).then((outcome) => {
      if (this.stopped) return;
      if (!outcome.ok) {
        this.options.onEvent({ type: 'content-fetch-failed', t: this.scenarioNow(), device: device.index, what: 'manifest', cause: outcome.cause });
        this.retryOrigin(attempt, () => {
          if (device.contentVersion === null) this.showFromManifest(device, attempt + 1);
        });
      } else if (outcome.value !== null && device.contentVersion === null) {
        this.fetchAndShow(device, outcome.value.version, outcome.value.url);
      }
    });
  }

  /**
   * Downloads a version's content and puts it on screen if it is still the
   * one wanted: the backend's latest, or the manifest's while the backend has
   * said nothing. What was on screen stays there until then, and on failure.
   */
  private fetchAndShow(device: Device, version: number, url: string, attempt = 0): void {
    const wanted = (): boolean => (device.contentVersion ?? version) === version && device.shownVersion !== version;
    void this.options.origin!.content(url).then((outcome) => {
      if (this.stopped) return;
      if (!outcome.ok) {
        this.options.onEvent({ type: 'content-fetch-failed', t: this.scenarioNow(), device: device.index, what: 'content', cause: outcome.cause });
        this.retryOrigin(attempt, () => {
          if (wanted()) this.fetchAndShow(device, version, url, attempt + 1);
        });
        return;
      }
      if (!wanted()) return;
      device.shownVersion = version;
      this.options.onEvent({ type: 'showing', t: this.scenarioNow(), device: device.index, version });
    });
  }

  /** Runs `again` after the retry wait of `attempt` (scenario time), unless the retries are used up or the fleet stops. */
  private retryOrigin(attempt: number, again: () => void): void {
    if (attempt >= originRetries) return;
    const timer = this.options.clock.setTimeout(() => {
      this.originRetryTimers.delete(timer);
      if (!this.stopped) again();
    }, (originRetryBaseMs * 2 ** attempt) / this.options.timeScale);
    this.originRetryTimers.add(timer);
  }

  private handlePing(socket: WebSocket): void {
    const device = this.current(socket);
    if (device) device.lastHeartbeatAt = this.options.clock.now();
  }

  private handleError(socket: WebSocket, error: Error & { code?: string }): void {
    const device = this.current(socket);
    if (!device) return;
    if (device.state === DeviceState.online) this.lose(device, 'error');
    else this.fail(device, causeOf(error));
  }

  private handleClose(socket: WebSocket, code: number): void {
    const device = this.current(socket);
    if (!device) return;
    if (device.state === DeviceState.online) this.lose(device, 'close');
    // 1006: the connection dropped without a close frame (a killed backend).
    else this.fail(device, code === 1006 ? 'reset' : 'rejected');
  }

  private checkHeartbeats(): void {
    if (this.options.adapter.heartbeat === 'none') return;
    const now = this.options.clock.now();
    const limit = this.heartbeatTimeoutRealMs;
    for (const device of this.devices) {
      if (device.state === DeviceState.online && now - device.lastHeartbeatAt > limit) {
        this.lose(device, 'heartbeat-timeout');
      }
    }
  }

  /** An online device lost its connection: back to the policy from attempt 1. */
  private lose(device: Device, cause: LossCause): void {
    this.dropSocket(device);
    this.options.onEvent({ type: 'lost', t: this.scenarioNow(), device: device.index, cause });
    device.attempt = 0;
    device.previousDelayMs = 0;
    this.waitForNextAttempt(device);
  }

  /** An attempt failed: count it by cause and wait as the policy says. */
  private fail(device: Device, cause: FailureCause): void {
    this.dropSocket(device);
    this.options.onEvent({ type: 'failure', t: this.scenarioNow(), device: device.index, attempt: device.attempt, cause });
    this.waitForNextAttempt(device);
  }

  private dropSocket(device: Device): void {
    const socket = device.socket;
    device.socket = null;
    device.tcp = null;
    if (socket && socket.readyState !== WebSocket.CLOSED) socket.terminate();
  }

  private waitForNextAttempt(device: Device): void {
    const attempt = device.attempt + 1;
    const delayMs = this.options.policy.nextDelayMs(attempt, device.previousDelayMs, device.rng);
    device.attempt = attempt;
    device.previousDelayMs = delayMs;
    this.setState(device, DeviceState.waiting);
    this.options.onEvent({ type: 'wait', t: this.scenarioNow(), device: device.index, attempt, delayMs });
    this.timers.schedule(this.deviceSlot(device), this.options.clock.now() + delayMs / this.options.timeScale);
  }
}

/** Maps a socket error to the cause a report counts it under. */
export function causeOf(error: Error & { code?: string }): FailureCause {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'EADDRNOTAVAIL':
    case 'EADDRINUSE':
      return 'address-unavailable';
    case 'EMFILE':
    case 'ENFILE':
      return 'too-many-files';
  }
  if (/Unexpected server response: 503/.test(error.message)) return 'rejected-503';
  if (/Unexpected server response/.test(error.message)) return 'rejected';
  if (/socket hang up/.test(error.message)) return 'reset';
  return 'error';
}

/** A socket the fleet has let go of may still report its reset; nobody listens. */
function ignoreSocketError(): void {}
