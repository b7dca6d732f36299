// The device <-> backend wire protocol (JSON text frames on /devices).
// The device fleet is written against exactly these shapes: change them only
// together with simulators/devices.

/** Device ids are printable and short so they are safe in URLs, logs and keys. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** WebSocket close codes the backend uses (4000-4999 is the application range). */
export const closeCodes = {
  /** The first message was not a well-formed hello. */
  badHello: 4001,
  /** No hello arrived within the hello timeout. */
  helloTimeout: 4008,
  /** A newer connection said hello with the same deviceId. */
  replaced: 4009,
} as const;

/** Content assigned to a device: `version` counts up from 1 per device. */
export interface Content {
  version: number;
  url: string;
}

/** device -> backend, first message on every connection. */
export interface HelloMessage {
  type: 'hello';
  deviceId: string;
  token: string;
}

/** device -> backend, confirms that an assigned version is now shown. */
export interface AckMessage {
  type: 'ack';
  version: number;
}

/** backend -> device, answer to a valid hello; `content` is null if never assigned. */
export interface WelcomeMessage {
  type: 'welcome';
  deviceId: string;
  content: Content | null;
}

/** backend -> device, pushed when content is assigned while the device is online. */
export interface AssignMessage {
  type: 'assign';
  deviceId: string;
  version: number;
  url: string;
}

/** backend -> device, sent just before closing a connection for a protocol error. */
export interface ErrorMessage {
  type: 'error';
  code: 'bad-hello';
  message: string;
}

/** Result of parsing a device frame: the message, or why it was refused. */
export type ParseResult<T> = { ok: true; message: T } | { ok: false; reason: string };

function parseObject(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'message is not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'message must be a JSON object';
  }
  return value as Record<string, unknown>;
}

/** Parses the first frame of a connection; anything but a valid hello is refused. */
export function parseHello(text: string): ParseResult<HelloMessage> {
  const value = parseObject(text);
  if (typeof value === 'string') return { ok: false, reason: value };
  if (value.type !== 'hello') {
    return { ok: false, reason: `first message must have type "hello", got ${JSON.stringify(value.type) ?? 'none'}` };
  }
  const { deviceId, token } = value;
  if (typeof deviceId !== 'string' || !DEVICE_ID_PATTERN.test(deviceId)) {
    return { ok: false, reason: `hello.deviceId must match ${DEVICE_ID_PATTERN.source}, got ${describe(deviceId)}` };
  }
  if (typeof token !== 'string' || token.length === 0) {
    return { ok: false, reason: `hello.token must be a non-empty string, got ${describe(token)}` };
  }
  return { ok: true, message: { type: 'hello', deviceId, token } };
}

/** Parses a frame after the hello; only acks are meaningful there. */
export function parseAck(text: string): ParseResult<AckMessage> {
  const value = parseObject(text);
  if (typeof value === 'string') return { ok: false, reason: value };
  if (value.type !== 'ack') return { ok: false, reason: `expected type "ack", got ${describe(value.type)}` };
  const { version } = value;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    return { ok: false, reason: `ack.version must be an integer >= 1, got ${describe(version)}` };
  }
  return { ok: true, message: { type: 'ack', version } };
}

/** Short, bounded description of a rejected value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
