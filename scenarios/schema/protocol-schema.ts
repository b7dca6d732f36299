import { z } from 'zod';

const regExp = z.string().min(1).refine((pattern) => {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

const referenceProtocolSchema = z.strictObject({ kind: z.literal('reference') });

/** A backend's own WebSocket protocol, described by templates ({deviceId}, {token}). */
const plainProtocolSchema = z.strictObject({
  kind: z.literal('plain'),
  /** Path and query after the target's base URL, e.g. "/ws?id={deviceId}&token={token}". */
  path: z.string().startsWith('/').prefault('/'),
  /** Per-device token, e.g. "secret-{deviceId}". */
  token: z.string().prefault('token-{deviceId}'),
  /** First frame a device sends once its WebSocket is open, e.g. '{"hello":"{deviceId}"}'. */
  hello: z.string().min(1).optional(),
  /** Online when a frame matches this; absent: online as soon as the WebSocket opens. */
  welcome: regExp.optional(),
  /** What keeps an online device alive: server pings (default), any frame, or nothing. */
  heartbeat: z.enum(['ping', 'message', 'none']).prefault('ping'),
});

/** Socket.IO v4 over the WebSocket transport. */
const socketIoProtocolSchema = z.strictObject({
  kind: z.literal('socketio'),
  path: z.string().startsWith('/').prefault('/socket.io'),
  namespace: z.string().startsWith('/').prefault('/'),
  token: z.string().prefault('token-{deviceId}'),
  /** The CONNECT auth payload, e.g. { token: "{token}" }. */
  auth: z.record(z.string(), z.unknown()).optional(),
  query: z.string().optional(),
});

/** MQTT 3.1.1 (version 4) or 5 over WebSocket. */
const mqttProtocolSchema = z.strictObject({
  kind: z.literal('mqtt'),
  path: z.string().startsWith('/').prefault('/mqtt'),
  version: z.union([z.literal(4), z.literal(5)]).prefault(4),
  /** Seconds between PINGREQs (real time: the broker's clock); 1 to 65535. */
  keepAlive: z.number().int().min(1).max(65_535).prefault(30),
  username: z.string().optional(),
  token: z.string().prefault('token-{deviceId}'),
});

export const protocolKinds = ['reference', 'plain', 'socketio', 'mqtt'] as const;

/** How the devices speak to the target: the adapter, selected by kind. */
export const protocolSchema = z.discriminatedUnion('kind', [referenceProtocolSchema, plainProtocolSchema, socketIoProtocolSchema, mqttProtocolSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? `unknown protocol kind; valid kinds: ${protocolKinds.join(', ')}` : undefined),
});

