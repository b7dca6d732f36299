import { expect, test } from 'vitest';
import { parseAck, parseHello } from '../../simulators/backend/device-protocol.ts';

test('parseHello accepts exactly the documented hello', () => {
  expect(parseHello('{"type":"hello","deviceId":"d-000001","token":"t","extra":1}')).toEqual({
    ok: true,
    message: { type: 'hello', deviceId: 'd-000001', token: 't' },
  });
  expect(parseHello('{"type":"hello","deviceId":"' + 'a'.repeat(128) + '","token":"t"}').ok).toBe(true);
});

test('parseHello names what is wrong with a bad hello', () => {
  expect(parseHello('nope')).toEqual({ ok: false, reason: 'message is not valid JSON' });
  expect(parseHello('[1]')).toEqual({ ok: false, reason: 'message must be a JSON object' });
  expect(parseHello('{"type":"ack"}')).toEqual({ ok: false, reason: 'first message must have type "hello", got "ack"' });
  expect(parseHello('{"type":"hello","token":"t"}')).toEqual({
    ok: false,
    reason: 'hello.deviceId must match ^[A-Za-z0-9._:-]{1,128}$, got nothing',
  });
  expect(parseHello('{"type":"hello","deviceId":"' + 'a'.repeat(129) + '","token":"t"}').ok).toBe(false);
  expect(parseHello('{"type":"hello","deviceId":"d-1","token":""}')).toEqual({
    ok: false,
    reason: 'hello.token must be a non-empty string, got ""',
  });
});

test('parseAck wants an integer version >= 1', () => {
  expect(parseAck('{"type":"ack","version":3}')).toEqual({ ok: true, message: { type: 'ack', version: 3 } });
  expect(parseAck('{"type":"ack","version":0}').ok).toBe(false);
  expect(parseAck('{"type":"ack","version":1.5}').ok).toBe(false);
  expect(parseAck('{"type":"ack","version":"2"}')).toEqual({ ok: false, reason: 'ack.version must be an integer >= 1, got "2"' });
});
