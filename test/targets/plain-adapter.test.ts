import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../simulators/devices/adapters/index.ts';
import { protocolSchema } from '../../scenarios/schema/protocol-schema.ts';

const plain = (input: object) => createAdapter(protocolSchema.parse({ kind: 'plain', ...input }));

describe('plain adapter', () => {
  it('fills {deviceId} and {token} in the path and the hello', () => {
    const adapter = plain({ path: '/ws?id={deviceId}&t={token}', token: 's-{deviceId}', hello: 'HELLO {deviceId} {token}', welcome: '^OK ' });
    expect(adapter.urlFor('ws://h:1', 'dev-000007')).toBe('ws://h:1/ws?id=dev-000007&t=s-dev-000007');
    expect(adapter.helloFor('dev-000007')).toBe('HELLO dev-000007 s-dev-000007');
    expect(adapter.onlineOnOpen).toBe(false);
  });

  it('a frame matching the welcome pattern is a welcome; anything else is other; nothing is acknowledged', () => {
    const adapter = plain({ hello: 'hi', welcome: '^OK ' });
    expect(adapter.parse('OK dev-1')).toEqual({ kind: 'welcome', contentVersion: null });
    expect(adapter.parse('NO dev-1')).toEqual({ kind: 'other' });
    expect(adapter.ackFor(3)).toBeNull();
  });

  it('without a welcome pattern a device is online when the WebSocket opens, and sends nothing', () => {
    const adapter = plain({});
    expect(adapter.onlineOnOpen).toBe(true);
    expect(adapter.helloFor('dev-1')).toBeNull();
    expect(adapter.urlFor('ws://h:1', 'dev-1')).toBe('ws://h:1/');
    expect(adapter.heartbeat).toBe('ping');
  });

  it('validation names the field: a bad pattern, a path without a slash, an unknown kind', () => {
    const bad = protocolSchema.safeParse({ kind: 'plain', path: 'ws', welcome: '(' });
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['path', 'welcome']);
    expect(protocolSchema.safeParse({ kind: 'grpc' }).error!.issues[0]!.message).toBe('unknown protocol kind; valid kinds: reference, plain, socketio, mqtt');
  });

  it('the reference kind is the reference adapter', () => {
    expect(createAdapter({ kind: 'reference' }).kind).toBe('reference');
  });
});
