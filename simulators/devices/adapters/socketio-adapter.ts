import { decodePacket, encodePacket } from 'engine.io-parser';
import { Decoder, Encoder, PacketType } from 'socket.io-parser';
import type { SocketIoProtocolConfig } from '../protocol-config.ts';
import type { ProtocolAdapter, ServerMessage } from '../protocol-adapter.ts';

const welcome: ServerMessage = { kind: 'welcome', contentVersion: null };
const other: ServerMessage = { kind: 'other' };

/** Engine.IO encodes string packets synchronously; this unwraps the callback. */
function encodeEngine(packet: Parameters<typeof encodePacket>[0]): string {
  let out = '';
  encodePacket(packet, false, (encoded) => (out = encoded as string));
  return out;
}

/** The Socket.IO packet inside an Engine.IO message, or undefined. */
function decodeSocketIo(data: string): { type: PacketType; data?: unknown } | undefined {
  let packet: { type: PacketType; data?: unknown } | undefined;
  const decoder = new Decoder();
  decoder.on('decoded', (p: { type: PacketType; data?: unknown }) => (packet = p));
  try {
    decoder.add(data);
  } catch {
    return undefined;
  } finally {
    decoder.destroy();
  }
  return packet;
}

/**
 * Socket.IO v4 over the WebSocket transport only (EIO=4), framed by
 * engine.io-parser and socket.io-parser. The server speaks first (Engine.IO
 * open); the device answers with a Socket.IO CONNECT to `namespace`
 * carrying `auth` ({deviceId}/{token} filled in); a CONNECT back is the
 * welcome, CONNECT_ERROR an error. Engine.IO pings ("2") get pongs ("3") and
 * count as heartbeats. Reconnection is the harness's: there is no client
 * library here with a policy of its own.
 */
export function socketIoAdapter(config: SocketIoProtocolConfig): ProtocolAdapter {
  const encoder = new Encoder();
  const tokenFor = (deviceId: string) => config.token.replaceAll('{deviceId}', deviceId);
  const connectFor = (deviceId: string): string => {
    const auth = config.auth === undefined ? undefined : JSON.parse(JSON.stringify(config.auth).replaceAll('{deviceId}', deviceId).replaceAll('{token}', tokenFor(deviceId)));
    const [encoded] = encoder.encode({ type: PacketType.CONNECT, nsp: config.namespace, data: auth }) as string[];
    return encodeEngine({ type: 'message', data: encoded });
  };
  const pong = encodeEngine({ type: 'pong' });
  const query = config.query === undefined ? '' : `&${config.query}`;
  return {
    kind: 'socketio',
    heartbeat: 'ping',
    urlFor: (baseUrl, deviceId) => `${baseUrl}${config.path}/?EIO=4&transport=websocket${query.replaceAll('{deviceId}', deviceId).replaceAll('{token}', tokenFor(deviceId))}`,
    helloFor: () => null,
    ackFor: () => null,
    respond(data, deviceId) {
      // Engine.IO type is the first character: 0 open, 2 ping, 4 message.
      if (data.charCodeAt(0) === 0x32) return pong;
      if (data.charCodeAt(0) === 0x30) return connectFor(deviceId);
      return null;
    },
    isHeartbeat: (data) => data.charCodeAt(0) === 0x32,
    parse(data) {
      if (data.charCodeAt(0) !== 0x34) return other;
      const engine = decodePacket(data);
      if (engine.type !== 'message' || typeof engine.data !== 'string') return other;
      const packet = decodeSocketIo(engine.data);
      if (packet?.type === PacketType.CONNECT) return welcome;
      if (packet?.type === PacketType.CONNECT_ERROR) return { kind: 'error', message: JSON.stringify(packet.data) };
      return other;
    },
  };
}
