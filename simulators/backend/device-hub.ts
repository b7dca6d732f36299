import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { AssignmentStore } from './assignment-store.ts';
import {
  closeCodes,
  parseAck,
  parseHello,
  type AssignMessage,
  type Content,
  type ErrorMessage,
  type WelcomeMessage,
} from './device-protocol.ts';
import { AcceptRateLimit } from './accept-rate-limit.ts';
import { writeRawHttpResponse } from './raw-http-response.ts';

/** Options for {@link DeviceHub}. */
export interface DeviceHubOptions {
  store: AssignmentStore;
  /** Period of the ping sweep, in ms. */
  heartbeatIntervalMs: number;
  /** Time from upgrade to hello, in ms, before close 4008. */
  helloTimeoutMs: number;
  /** Unfinished handshakes allowed at once; null = no limit. */
  maxHandshakesInFlight: number | null;
  /**
   * `--accept-rate`: handshakes admitted per real second by the whole
   * backend, shared evenly by its `processes` (each admits perSecond /
   * processes, evenly spaced: see {@link AcceptRateLimit}); null = no limit.
   */
  acceptRate?: { perSecond: number; processes: number } | null;
  /** Start refusing device upgrades with 503 until `setAdmissionOpen(true)`. */
  holdClosed: boolean;
  /** Largest frame a device may send, in bytes. Devices only send small JSON. */
  maxPayloadBytes?: number;
  /** Monotonic clock in ms; injectable for tests. */
  now?: () => number;
}

/** Counters reported by /healthz and /metrics. */
export interface DeviceHubStats {
  devicesOnline: number;
  /** Hellos answered with a welcome since start. */
  handshakesTotal: number;
  /** Upgrades answered 503 (held closed, over the in-flight limit, over the accept rate, or stopping) since start. */
  handshakesRejected: number;
  /** Upgrades admitted whose hello has not completed yet. */
  handshakesInFlight: number;
}

/**
 * Per-connection state. A plain class with fixed fields keeps one hidden class
 * for all sockets and costs a few dozen bytes each.
 */
class Connection {
  /** Set by a valid hello; stays set while the socket is being closed as replaced. */
  deviceId: string | null = null;
  /** True from upgrade until hello succeeds or fails: counts against the in-flight limit. */
  handshaking = true;
  /** A ping was sent and no pong has come back yet. */
  awaitingPong = false;
  /**
   * Newest content version sent to this device (welcome or assign), 0 = none.
   * With several workers a relayed push can arrive after a newer one, or
   * after a welcome that already carried it: older versions are not sent.
   */
  contentVersion = 0;
  /** Monotonic time of the upgrade, in ms; for the hello deadline. */
  readonly openedAtMs: number;
  /** Index of the heartbeat bucket this socket is pinged with. */
  readonly bucket: number;
  constructor(openedAtMs: number, bucket: number) {
    this.openedAtMs = openedAtMs;
    this.bucket = bucket;
  }
}

/** Sweep at least this often (ms), so the hello deadline is checked with ~1 s precision. */
const MAX_SWEEP_PERIOD_MS = 1000;
/**
 * Spread the pings over at least this many buckets, so a fleet's pings (and
 * so its notices of a frozen backend) are spread over the heartbeat interval
 * rather than landing in one sweep, as devices' own ping timers would be.
 * The planner takes ping ages as uniform over the interval; with 16 buckets
 * a 5,000-device fleet noticed a freeze in steps of 313 devices every 1.9 s
 * (30 s pings), which the plan's smooth curve missed by up to 5%.
 */
const MIN_HEARTBEAT_BUCKETS = 64;
/** ...but never sweep more often than this (ms): each sweep costs a timer turn. */
const MIN_SWEEP_PERIOD_MS = 5;

/**
 * The WebSocket side of the backend: admission, hello, heartbeats and pushes.
 *
 * Built to hold tens of thousands of sockets cheaply: the listeners are shared
 * functions created once per hub (`this` is the socket), there is no timer per
 * socket (one sweep timer checks hello deadlines and sends the pings), and
 * per-socket state is one small {@link Connection} in a Map.
 *
 * Heartbeat: the standard ws pattern (ping; a socket that has not ponged by
 * its next ping is terminated), but the sockets are spread over one bucket per
 * sweep and each sweep pings one bucket. Every socket is still pinged once per
 * heartbeat interval, while the event loop never stalls for a whole-fleet
 * ping burst (measured ~23 µs per ping: 10k sockets at once would block ~0.25 s).
 */
export class DeviceHub {
  readonly #store: AssignmentStore;
  readonly #heartbeatIntervalMs: number;
  readonly #helloTimeoutMs: number;
  readonly #maxHandshakesInFlight: number | null;
  readonly #acceptRate: AcceptRateLimit | null;
  /** The 503 body's error for an upgrade over the accept rate. */
  readonly #overRateMessage: string;
  readonly #now: () => number;
  readonly #wss: WebSocketServer;
  /** Every upgraded socket, online or not. */
  readonly #connections = new Map<WebSocket, Connection>();
  /** Sockets still waiting for their hello, in upgrade order (so the oldest come first). */
  readonly #awaitingHello = new Set<WebSocket>();
  /** deviceId -> its current (newest) socket. */
  readonly #devices = new Map<string, WebSocket>();
  /** Every deviceId that completed a hello since start, for GET /devices/:id. */
  readonly #seen = new Set<string>();
  #sweepTimer: NodeJS.Timeout;
  /** Sockets by heartbeat bucket; sweep n pings bucket n % buckets.length. */
  readonly #heartbeatBuckets: Set<WebSocket>[];
  #sweepCount = 0;
  /** Round-robin counter that spreads new sockets over the buckets. */
  #adoptCount = 0;
  #open: boolean;
  #stopping = false;
  #handshakesInFlight = 0;
  #handshakesTotal = 0;
  #handshakesRejected = 0;

  // Shared listeners: one function object per hub, not per socket.
  readonly #onMessage: (this: WebSocket, data: RawData, isBinary: boolean) => void;
  readonly #onPong: (this: WebSocket) => void;
  readonly #onClose: (this: WebSocket) => void;

  constructor(options: DeviceHubOptions) {
    this.#store = options.store;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.#helloTimeoutMs = options.helloTimeoutMs;
    this.#maxHandshakesInFlight = options.maxHandshakesInFlight;
    const acceptRate = options.acceptRate ?? null;
    this.#acceptRate = acceptRate === null ? null : new AcceptRateLimit(acceptRate.perSecond / acceptRate.processes);
    this.#overRateMessage = acceptRate === null ? '' : overRateMessage(acceptRate.perSecond, acceptRate.processes);
    this.#open = !options.holdClosed;
    this.#now = options.now ?? (() => performance.now());
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false, // we track sockets ourselves; ws would add a closure per socket
      maxPayload: options.maxPayloadBytes ?? 64 * 1024,
      // Frames are only ever JSON.parse'd: invalid UTF-8 becomes U+FFFD and
      // then fails the hello/ack checks like any other bad frame. Skipping
      // the validation saves a pass over every frame.
      skipUTF8Validation: true,
    });

    const hub = this;
    this.#onMessage = function (data, isBinary) {
      hub.#handleMessage(this, data, isBinary);
    };
    this.#onPong = function () {
      const connection = hub.#connections.get(this);
      if (connection !== undefined) connection.awaitingPong = false;
    };
    this.#onClose = function () {
      hub.#forget(this);
    };

    // One timer for everything. The sweep period divides the heartbeat
    // interval evenly so each bucket is pinged at the heartbeat period.
    const targetSweepMs = Math.min(MAX_SWEEP_PERIOD_MS, this.#helloTimeoutMs / 4, this.#heartbeatIntervalMs);
    const sweepsPerHeartbeat = Math.max(
      1,
      Math.round(this.#heartbeatIntervalMs / targetSweepMs),
      Math.min(MIN_HEARTBEAT_BUCKETS, Math.floor(this.#heartbeatIntervalMs / MIN_SWEEP_PERIOD_MS)),
    );
    this.#heartbeatBuckets = Array.from({ length: sweepsPerHeartbeat }, () => new Set<WebSocket>());
    // Each sweep is due at a fixed period from the last one's due time, not
    // from when it ran: an interval timer drifts by every sweep's own work and
    // lateness (and by rounding the period to whole ms), and a bucket's pings
    // then come further apart than the interval, so devices' ping ages at a
    // freeze are not spread over the interval they were set to.
    const sweepMs = this.#heartbeatIntervalMs / sweepsPerHeartbeat;
    let dueAt = this.#now() + sweepMs;
    const tick = (): void => {
      this.#sweep();
      const now = this.#now();
      dueAt += sweepMs;
      // After a stall (a CPU hog, a stop signal) go on from now, not with a burst of missed sweeps.
      if (dueAt < now) dueAt = now + sweepMs;
      this.#sweepTimer = setTimeout(tick, dueAt - now);
      this.#sweepTimer.unref();
    };
    this.#sweepTimer = setTimeout(tick, sweepMs);
    this.#sweepTimer.unref();
  }

  stats(): DeviceHubStats {
    return {
      devicesOnline: this.#devices.size,
      handshakesTotal: this.#handshakesTotal,
      handshakesRejected: this.#handshakesRejected,
      handshakesInFlight: this.#handshakesInFlight,
    };
  }

  /** Opens or holds closed the door for device upgrades (POST /admin/open, /admin/close). */
  setAdmissionOpen(open: boolean): void {
    this.#open = open;
  }

  isAdmissionOpen(): boolean {
    return this.#open;
  }

  isOnline(deviceId: string): boolean {
    return this.#devices.has(deviceId);
  }

  hasSeen(deviceId: string): boolean {
    return this.#seen.has(deviceId);
  }

  /**
   * Sends an assignment to the device if it is online here and has not been
   * sent this version or a newer one; returns whether it was sent.
   */
  pushContent(deviceId: string, content: Content): boolean {
    const socket = this.#devices.get(deviceId);
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) return false;
    const connection = this.#connections.get(socket);
    if (connection === undefined || content.version <= connection.contentVersion) return false;
    connection.contentVersion = content.version;
    const message: AssignMessage = { type: 'assign', deviceId, version: content.version, url: content.url };
    socket.send(JSON.stringify(message));
    return true;
  }

  /**
   * Takes an upgrade request for /devices: refuses it with a plain HTTP 503
   * when held closed, stopping, over the in-flight limit or over the accept
   * rate, else upgrades it. The in-flight limit is checked first, as in the
   * planner: an upgrade it refuses does not take a slot of the rate.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#stopping || !this.#open) {
      this.#handshakesRejected += 1;
      writeRawHttpResponse(socket, 503, { error: this.#stopping ? 'backend is stopping' : 'backend is held closed' });
      return;
    }
    const limit = this.#maxHandshakesInFlight;
    if (limit !== null && this.#handshakesInFlight >= limit) {
      this.#handshakesRejected += 1;
      writeRawHttpResponse(socket, 503, {
        error: `handshakes in flight at the limit of ${limit} (--max-handshakes-in-flight); retry later`,
      });
      return;
    }
    const rate = this.#acceptRate;
    if (rate !== null && !rate.admit(this.#now())) {
      this.#handshakesRejected += 1;
      writeRawHttpResponse(socket, 503, { error: this.#overRateMessage });
      return;
    }
    this.#handshakesInFlight += 1;
    let upgraded = false;
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      upgraded = true;
      this.#adopt(ws);
    });
    // Without verifyClient, ws either upgrades synchronously or has already
    // answered a malformed request itself (4xx); in that case give the slots back.
    if (!upgraded) {
      this.#handshakesInFlight -= 1;
      rate?.giveBack();
    }
  }

  /** Stops the sweep and drops every socket at once (no close handshake). */
  stop(): void {
    this.#stopping = true;
    clearTimeout(this.#sweepTimer);
    for (const socket of [...this.#connections.keys()]) socket.terminate();
    this.#wss.close();
  }

  #adopt(socket: WebSocket): void {
    const bucket = this.#adoptCount % this.#heartbeatBuckets.length;
    this.#adoptCount += 1;
    this.#connections.set(socket, new Connection(this.#now(), bucket));
    this.#heartbeatBuckets[bucket].add(socket);
    this.#awaitingHello.add(socket);
    socket.on('message', this.#onMessage);
    socket.on('pong', this.#onPong);
    socket.on('close', this.#onClose);
    // ws emits 'error' for protocol violations and then closes; 'close' cleans up.
    socket.on('error', ignoreError);
  }

  #handleMessage(socket: WebSocket, data: RawData, isBinary: boolean): void {
    const connection = this.#connections.get(socket);
    if (connection === undefined) return;
    if (connection.handshaking) {
      this.#handleHello(socket, connection, data, isBinary);
      return;
    }
    const deviceId = connection.deviceId;
    // Only the device's current socket may ack; a replaced one is on its way out.
    if (deviceId === null || isBinary || this.#devices.get(deviceId) !== socket) return;
    const ack = parseAck(rawDataToString(data));
    // Anything but an ack after the hello is ignored: the protocol defines no
    // other device message, and answering could confuse a device mid-storm.
    if (ack.ok) this.#store.recordAck(deviceId, ack.message.version);
  }

  #handleHello(socket: WebSocket, connection: Connection, data: RawData, isBinary: boolean): void {
    this.#endHandshake(socket, connection);
    const hello = isBinary
      ? { ok: false as const, reason: 'first message must be a JSON text frame, got a binary frame' }
      : parseHello(rawDataToString(data));
    if (!hello.ok) {
      const error: ErrorMessage = { type: 'error', code: 'bad-hello', message: hello.reason };
      socket.send(JSON.stringify(error));
      socket.close(closeCodes.badHello, 'bad-hello');
      return;
    }
    const { deviceId } = hello.message;
    let content: Content | null;
    try {
      content = this.#store.getContent(deviceId);
    } catch (error) {
      console.error(`device hub: reading content of ${deviceId} failed: ${(error as Error).message}`);
      socket.close(1011, 'storage error');
      return;
    }
    const previous = this.#devices.get(deviceId);
    this.#devices.set(deviceId, socket);
    if (previous !== undefined && previous !== socket) previous.close(closeCodes.replaced, 'replaced');
    connection.deviceId = deviceId;
    connection.contentVersion = content?.version ?? 0;
    this.#seen.add(deviceId);
    this.#handshakesTotal += 1;
    const welcome: WelcomeMessage = { type: 'welcome', deviceId, content };
    socket.send(JSON.stringify(welcome));
  }

  /** Leaves the handshaking state exactly once, freeing an in-flight slot. */
  #endHandshake(socket: WebSocket, connection: Connection): void {
    if (!connection.handshaking) return;
    connection.handshaking = false;
    this.#handshakesInFlight -= 1;
    this.#awaitingHello.delete(socket);
  }

  #forget(socket: WebSocket): void {
    const connection = this.#connections.get(socket);
    if (connection === undefined) return;
    this.#endHandshake(socket, connection);
    this.#connections.delete(socket);
    this.#heartbeatBuckets[connection.bucket].delete(socket);
    const deviceId = connection.deviceId;
    if (deviceId !== null && this.#devices.get(deviceId) === socket) this.#devices.delete(deviceId);
  }

  #sweep(): void {
    // Hello deadlines: the set is in upgrade order, so stop at the first socket still in time.
    const deadline = this.#now() - this.#helloTimeoutMs;
    for (const socket of this.#awaitingHello) {
      const connection = this.#connections.get(socket);
      if (connection === undefined) {
        this.#awaitingHello.delete(socket);
        continue;
      }
      if (connection.openedAtMs > deadline) break;
      this.#endHandshake(socket, connection);
      socket.close(closeCodes.helloTimeout, 'hello-timeout');
    }

    const bucket = this.#heartbeatBuckets[this.#sweepCount % this.#heartbeatBuckets.length];
    this.#sweepCount += 1;
    // Standard ws heartbeat: a socket that has not answered the previous ping
    // by now is dead or frozen; terminate it so its device can reconnect.
    for (const socket of bucket) {
      const connection = this.#connections.get(socket);
      if (connection === undefined || socket.readyState !== WebSocket.OPEN) continue;
      if (connection.awaitingPong) {
        socket.terminate();
        continue;
      }
      connection.awaitingPong = true;
      socket.ping();
    }
  }
}

function ignoreError(): void {}

function overRateMessage(perSecond: number, processes: number): string {
  const rate = (r: number): string => `${+r.toPrecision(6)}/s`;
  return processes === 1
    ? `handshakes over the accept rate of ${rate(perSecond)} (--accept-rate); retry later`
    : `handshakes over this worker's share of the accept rate, ${rate(perSecond / processes)} of ${rate(perSecond)} over ${processes} workers (--accept-rate); retry later`;
}

function rawDataToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
