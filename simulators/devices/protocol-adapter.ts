/** What a message from the backend means to a device. */
export type ServerMessage =
  | { kind: 'welcome'; contentVersion: number | null; /** Where that content is (absent: the backend does not say). */ contentUrl?: string | null }
  | { kind: 'assign'; version: number; url: string }
  | { kind: 'error'; message: string }
  | { kind: 'other' };

/**
 * How a device speaks to a given backend. Contract: `helloFor` returns the
 * first frame a device sends once the WebSocket is open (or null if it sends
 * none); `parse` classifies one incoming frame without throwing; a 'welcome'
 * makes the device online. Adapters are shared by every device, so they keep
 * no per-device state.
 */
export interface ProtocolAdapter {
  readonly kind: string;
  /** The WebSocket URL for one device, from the target's base URL. */
  urlFor(baseUrl: string, deviceId: string): string;
  helloFor(deviceId: string): string | Uint8Array | null;
  parse(data: string): ServerMessage;
  /** The frame acknowledging a content assignment, or null if none is sent. */
  ackFor(version: number): string | null;
  /** True: a device is online as soon as its WebSocket opens (no welcome frame awaited). Default false. */
  readonly onlineOnOpen?: boolean;
  /**
   * What keeps an online device alive against the heartbeat timeout:
   * WebSocket pings from the backend ('ping', the default), any frame
   * ('message'), or nothing ('none': no heartbeat timeout).
   */
  readonly heartbeat?: 'ping' | 'message' | 'none';
  /** WebSocket subprotocol to ask for (MQTT brokers want "mqtt"); default none. */
  readonly subprotocol?: string;
  /**
   * Present: incoming frames are handed over raw (binary protocols) instead
   * of to `parse`; 'heartbeat' counts as one. A frame may hold part of a
   * packet (MQTT over WebSocket), so this is the one place an adapter may
   * keep per-device bytes, dropped when `helloFor` starts a new connection.
   */
  parseFrame?(data: Uint8Array, deviceId: string): ServerMessage | 'heartbeat';
  /**
   * A frame to send back for an incoming frame, or null (Engine.IO: the
   * server's "2" ping gets "3"; its open packet gets the Socket.IO connect).
   */
  respond?(data: string, deviceId: string): string | null;
  /** True for an incoming frame that counts as a heartbeat (as a WebSocket ping does). */
  isHeartbeat?(data: string): boolean;
  /**
   * A frame every online device sends every `keepAliveEveryMs` of real time
   * (MQTT PINGREQ); the protocol's own clock, so not scaled by timeScale.
   */
  readonly keepAlive?: { frame: string | Uint8Array; everyMs: number };
}
