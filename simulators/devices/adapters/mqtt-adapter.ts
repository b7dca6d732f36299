import mqtt from 'mqtt-packet';
import type { MqttProtocolConfig } from '../protocol-config.ts';
import type { ProtocolAdapter, ServerMessage } from '../protocol-adapter.ts';

const welcome: ServerMessage = { kind: 'welcome', contentVersion: null };
const other: ServerMessage = { kind: 'other' };

/**
 * MQTT 3.1.1 or 5 over WebSocket (subprotocol "mqtt"), framed by
 * mqtt-packet: a device sends CONNECT (client id = device id, password =
 * token) when the socket opens; CONNACK with return code 0 is the welcome.
 * Keep-alive is the client's: every online device sends PINGREQ every
 * `keepAlive` seconds and each PINGRESP counts as a heartbeat.
 */
export function mqttAdapter(config: MqttProtocolConfig): ProtocolAdapter {
  const opts = { protocolVersion: config.version };
  const pingreq = mqtt.generate({ cmd: 'pingreq' }, opts);
  const tokenFor = (deviceId: string) => config.token.replaceAll('{deviceId}', deviceId);
  // One parser for the fleet while frames hold whole packets (the common
  // case); a device whose frame ends inside a packet takes that parser with
  // its partial bytes, and the fleet gets a fresh one.
  let found: mqtt.Packet[] = [];
  const newParser = () => {
    const p = mqtt.parser(opts);
    p.on('packet', (packet) => found.push(packet));
    p.on('error', () => {});
    return p;
  };
  let shared = newParser();
  const partial = new Map<string, ReturnType<typeof mqtt.parser>>();
  const decode = (frame: Buffer, deviceId: string): mqtt.Packet[] => {
    found = [];
    const own = partial.get(deviceId);
    const parser = own ?? shared;
    // parse() returns the bytes it could not use yet, but a packet's header
    // may already be consumed: the parser is mid-packet unless its state
    // machine is back at the start (mqtt-packet's _stateCounter, 0 between packets).
    const midPacket = parser.parse(frame) !== 0 || (parser as unknown as { _stateCounter: number })._stateCounter !== 0;
    if (own && !midPacket) partial.delete(deviceId);
    else if (!own && midPacket) {
      partial.set(deviceId, shared);
      shared = newParser();
    }
    return found;
  };
  return {
    kind: 'mqtt',
    subprotocol: 'mqtt',
    heartbeat: 'ping',
    urlFor: (baseUrl) => baseUrl + config.path,
    helloFor: (deviceId) => {
      partial.delete(deviceId);
      return mqtt.generate(
        { cmd: 'connect', protocolId: 'MQTT', protocolVersion: config.version, clientId: deviceId, clean: true, keepalive: config.keepAlive, username: config.username ?? deviceId, password: Buffer.from(tokenFor(deviceId)) },
        opts,
      );
    },
    ackFor: () => null,
    parse: () => other,
    parseFrame(frame: Buffer, deviceId: string) {
      let result: ServerMessage | 'heartbeat' = other;
      for (const packet of decode(frame, deviceId)) {
        if (packet.cmd === 'pingresp') result = 'heartbeat';
        else if (packet.cmd === 'connack') {
          const code = packet.returnCode ?? packet.reasonCode ?? 0;
          return code === 0 ? welcome : { kind: 'error', message: `CONNACK ${code}` };
        }
      }
      return result;
    },
    keepAlive: { frame: pingreq, everyMs: config.keepAlive * 1000 },
  };
}
