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

export const protocolKinds = ['reference', 'plain'] as const;

/** How the devices speak to the target: the adapter, selected by kind. */
export const protocolSchema = z.discriminatedUnion('kind', [referenceProtocolSchema, plainProtocolSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? `unknown protocol kind; valid kinds: ${protocolKinds.join(', ')}` : undefined),
});

