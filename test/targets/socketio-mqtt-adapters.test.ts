import mqtt from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { protocolSchema } from '../../scenarios/schema/protocol-schema.ts';
import { createAdapter } from '../../simulators/devices/adapters/index.ts';

const adapterOf = (input: object) => createAdapter(protocolSchema.parse(input));

describe('socketio adapter', () => {
  const adapter = adapterOf({ kind: 'socketio', token: 's-{deviceId}', auth: { token: '{token}' }, query: 'device={deviceId}' });

  it('connects over the WebSocket transport only, EIO=4', () => {
    expect(adapter.urlFor('ws://h:1', 'dev-1')).toBe('ws://h:1/socket.io/?EIO=4&transport=websocket&device=dev-1');
    expect(adapter.helloFor('dev-1')).toBeNull();
  });

  it('answers the Engine.IO open with a Socket.IO CONNECT carrying the auth, and pings with pongs', () => {
    expect(adapter.respond!('0{"sid":"x","pingInterval":500,"pingTimeout":2000}', 'dev-1')).toBe('40{"token":"s-dev-1"}');
    expect(adapter.respond!('2', 'dev-1')).toBe('3');
    expect(adapter.isHeartbeat!('2')).toBe(true);
    expect(adapter.respond!('40{"sid":"y"}', 'dev-1')).toBeNull();
  });

  it('CONNECT is the welcome, CONNECT_ERROR an error, events are other', () => {
    expect(adapter.parse('40{"sid":"y"}')).toEqual({ kind: 'welcome', contentVersion: null });
    expect(adapter.parse('44{"message":"bad token"}')).toEqual({ kind: 'error', message: '{"message":"bad token"}' });
    expect(adapter.parse('42["news",1]')).toEqual({ kind: 'other' });
    expect(adapter.parse('garbage')).toEqual({ kind: 'other' });
  });
});

describe('mqtt adapter', () => {
  const adapter = adapterOf({ kind: 'mqtt', token: 's-{deviceId}', keepAlive: 5 });
  const connack = (returnCode: number) => mqtt.generate({ cmd: 'connack', returnCode, sessionPresent: false });

  it('sends CONNECT with the device id, user name and token; asks for the "mqtt" subprotocol', () => {
    let packet: mqtt.IConnectPacket | undefined;
    const parser = mqtt.parser();
    parser.on('packet', (p) => (packet = p as mqtt.IConnectPacket));
    parser.parse(Buffer.from(adapter.helloFor('dev-1') as Uint8Array));
    expect(packet).toMatchObject({ cmd: 'connect', clientId: 'dev-1', username: 'dev-1', keepalive: 5, protocolVersion: 4 });
    expect(String(packet!.password)).toBe('s-dev-1');
    expect(adapter.subprotocol).toBe('mqtt');
    expect(adapter.keepAlive!.everyMs).toBe(5000);
    expect(Buffer.from(adapter.keepAlive!.frame as Uint8Array)).toEqual(Buffer.from([0xc0, 0x00]));
  });

  it('CONNACK 0 is the welcome, a refusal an error, PINGRESP a heartbeat', () => {
    expect(adapter.parseFrame!(connack(0), 'a')).toEqual({ kind: 'welcome', contentVersion: null });
    expect(adapter.parseFrame!(connack(5), 'b')).toEqual({ kind: 'error', message: 'CONNACK 5' });
    expect(adapter.parseFrame!(Buffer.from([0xd0, 0x00]), 'c')).toBe('heartbeat');
  });

  it('a CONNACK split across frames (as aedes sends it) is put together per device, without mixing devices', () => {
    const bytes = connack(0);
    expect(adapter.parseFrame!(bytes.subarray(0, 1), 'dev-1')).toEqual({ kind: 'other' });
    expect(adapter.parseFrame!(Buffer.from([0xd0, 0x00]), 'dev-2')).toBe('heartbeat');
    expect(adapter.parseFrame!(bytes.subarray(1), 'dev-1')).toEqual({ kind: 'welcome', contentVersion: null });
  });

  it('a new connection drops a device\'s partial bytes', () => {
    adapter.parseFrame!(connack(0).subarray(0, 1), 'dev-3');
    adapter.helloFor('dev-3');
    expect(adapter.parseFrame!(connack(0), 'dev-3')).toEqual({ kind: 'welcome', contentVersion: null });
  });
});
