/**
 * Which protocol adapter the devices speak, as plain data: it crosses IPC to
 * the fleet's shard processes, which build the adapter by `kind`.
 */
export type ProtocolConfig = { kind: 'reference' } | PlainProtocolConfig;

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
