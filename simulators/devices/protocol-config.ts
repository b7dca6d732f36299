/**
 * Which protocol adapter the devices speak, as plain data: it crosses IPC to
 * the fleet's shard processes, which build the adapter by `kind`.
 */
export type ProtocolConfig = { kind: 'reference' } | PlainProtocolConfig | SocketIoProtocolConfig | MqttProtocolConfig;

/**
 * A backend with its own WebSocket protocol. Templates may contain
 * {deviceId} and {token}; the token is `token` with {deviceId} filled in.
 */
export interface PlainProtocolConfig {
  kind: 'plain';
  /** Path and query after the target's base URL, e.g. "/ws?id={deviceId}". */
  path: string;
  /** Per-device token, e.g. "secret-{deviceId}". */
  token: string;
  /** First frame sent once the WebSocket is open; absent: none. */
  hello?: string;
  /** A device is online when a frame matches this regular expression; absent: as soon as the WebSocket opens. */
  welcome?: string;
  /** What keeps an online device alive: WebSocket pings (default), any frame, or nothing (no heartbeat timeout). */
  heartbeat: 'ping' | 'message' | 'none';
}

/** Socket.IO v4 over WebSocket: CONNECT to `namespace` with `auth` (templates {deviceId}, {token}). */
export interface SocketIoProtocolConfig {
  kind: 'socketio';
  /** The server's Socket.IO path, default "/socket.io". */
  path: string;
  namespace: string;
  token: string;
  /** The CONNECT packet's auth payload; string values may hold {deviceId} and {token}. */
  auth?: Record<string, unknown>;
  /** Extra query, e.g. "device={deviceId}". */
  query?: string;
}

/** MQTT over WebSocket: CONNECT/CONNACK, client PINGREQ keep-alive. */
export interface MqttProtocolConfig {
  kind: 'mqtt';
  /** Path of the broker's WebSocket endpoint, default "/mqtt". */
  path: string;
  /** 4: MQTT 3.1.1, 5: MQTT 5. */
  version: 4 | 5;
  /** Keep-alive in seconds (real time, the broker's clock). */
  keepAlive: number;
  /** Default: the device id (MQTT 3.1.1 sends a password only with a user name). */
  username?: string;
  /** Sent as the password, {deviceId} filled in. */
  token: string;
}
