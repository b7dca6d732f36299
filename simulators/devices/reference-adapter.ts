import type { ProtocolAdapter, ServerMessage } from './protocol-adapter.ts';

/** The reference backend's protocol: hello / welcome, assign / ack, JSON frames. */
export const referenceAdapter: ProtocolAdapter = {
  kind: 'reference',
  urlFor: (baseUrl) => `${baseUrl}/devices`,
  helloFor: (deviceId) => JSON.stringify({ type: 'hello', deviceId, token: `token-${deviceId}` }),
  ackFor: (version) => JSON.stringify({ type: 'ack', version }),
  parse(data: string): ServerMessage {
    let message: { type?: unknown; content?: { version?: unknown } | null; version?: unknown; url?: unknown; message?: unknown };
    try {
      message = JSON.parse(data);
    } catch {
      return { kind: 'other' };
    }
    switch (message?.type) {
      case 'welcome': {
        const version = message.content?.version;
        const url = (message.content as { url?: unknown } | null | undefined)?.url;
        return { kind: 'welcome', contentVersion: typeof version === 'number' ? version : null, contentUrl: typeof url === 'string' ? url : null };
      }
      case 'assign':
        return typeof message.version === 'number' && typeof message.url === 'string'
          ? { kind: 'assign', version: message.version, url: message.url }
          : { kind: 'other' };
      case 'error':
        return { kind: 'error', message: String(message.message ?? 'error') };
      default:
        return { kind: 'other' };
    }
  },
};
