/**
 * The failure causes a k6 device can tell apart: the local fleet's
 * (simulators/devices/fleet-events.ts) without `rejected-503`. Declared
 * here rather than imported so that the k6 bundle's type check reads no
 * Node-side module; a test checks both stay the same words.
 */
export type K6FailureCause = 'refused' | 'reset' | 'connect-timeout' | 'handshake-timeout' | 'rejected' | 'address-unavailable' | 'too-many-files' | 'error';

/** How an online device noticed its connection was gone (the local fleet's LossCause). */
export type K6LossCause = 'close' | 'error' | 'heartbeat-timeout';

/**
 * Maps the error text of a k6 WebSocket `error` event to the failure causes
 * of the local fleet. k6 (gorilla/websocket under the hood) passes Go error
 * strings: "dial tcp 127.0.0.1:4000: connect: connection refused",
 * "websocket: bad handshake", "read: connection reset by peer",
 * "websocket: close 1006 (abnormal closure): unexpected EOF". Pure.
 *
 * k6 does not expose the HTTP status of a refused upgrade to the script, so
 * a 503 counts as `rejected` here, where the local fleet says `rejected-503`.
 */
export function failureCauseOf(message: string): K6FailureCause {
  const text = message.toLowerCase();
  if (text.includes('connection refused')) return 'refused';
  if (text.includes('too many open files')) return 'too-many-files';
  if (text.includes('cannot assign requested address') || text.includes('address already in use')) return 'address-unavailable';
  if (text.includes('i/o timeout') || text.includes('deadline exceeded')) return 'connect-timeout';
  if (text.includes('bad handshake')) return 'rejected';
  if (isConnectionDrop(text)) return 'reset';
  return 'error';
}

/**
 * How an online device's connection ended, from the error text k6 gave
 * (undefined: a close event without an error). A peer that went away (a
 * killed backend: EOF, reset, abnormal closure 1006) is `close`, as the
 * local fleet counts a 1006 close; anything else is `error`.
 */
export function lossCauseOf(message: string | undefined): K6LossCause {
  if (message === undefined) return 'close';
  return isConnectionDrop(message.toLowerCase()) ? 'close' : 'error';
}

function isConnectionDrop(text: string): boolean {
  return (
    text.includes('1006') ||
    text.includes('eof') ||
    text.includes('connection reset') ||
    text.includes('broken pipe') ||
    text.includes('use of closed network connection')
  );
}
