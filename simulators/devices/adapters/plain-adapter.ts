import type { PlainProtocolConfig } from '../protocol-config.ts';
import type { ProtocolAdapter, ServerMessage } from '../protocol-adapter.ts';

const welcome: ServerMessage = { kind: 'welcome', contentVersion: null };
const other: ServerMessage = { kind: 'other' };

/** Compiles a "{deviceId}"/"{token}" template once into a function (cheap per device). */
function template(text: string, tokenFor: (deviceId: string) => string): (deviceId: string) => string {
  const parts = text.split(/(\{deviceId\}|\{token\})/);
  if (parts.length === 1) return () => text;
  return (deviceId) => {
    let out = '';
    for (const part of parts) out += part === '{deviceId}' ? deviceId : part === '{token}' ? tokenFor(deviceId) : part;
    return out;
  };
}

/**
 * A backend's own WebSocket protocol described by templates: the URL path,
 * an optional hello frame, and the reply (a regular expression) that makes a
 * device online; without one, a device is online once its WebSocket opens.
 * Content assignments are not part of it (parse never says 'assign').
 */
export function plainAdapter(config: PlainProtocolConfig): ProtocolAdapter {
  const token = template(config.token, () => '');
  const path = template(config.path, token);
  const hello = config.hello === undefined ? undefined : template(config.hello, token);
  const pattern = config.welcome === undefined ? undefined : new RegExp(config.welcome);
  return {
    kind: 'plain',
    onlineOnOpen: pattern === undefined,
    heartbeat: config.heartbeat,
    urlFor: (baseUrl, deviceId) => baseUrl + path(deviceId),
    helloFor: (deviceId) => (hello ? hello(deviceId) : null),
    parse: (data) => (pattern?.test(data) ? welcome : other),
    ackFor: () => null,
  };
}
