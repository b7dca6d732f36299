import { describe, expect, test } from 'vitest';
import {
  defaultBackendOptions,
  envNameFor,
  isLoopbackHost,
  parseBackendCommandLine,
  workerCountFor,
} from '../../simulators/backend/backend-options.ts';

describe('parseBackendCommandLine', () => {
  test('defaults apply when nothing is given', () => {
    expect(parseBackendCommandLine([], {})).toEqual({ kind: 'run', options: defaultBackendOptions });
    expect(defaultBackendOptions).toMatchObject({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 30_000 });
    expect(defaultBackendOptions.dbPath).toMatch(/aftershock-backend\.sqlite$/);
  });

  test('every flag parses, and flags win over the environment', () => {
    const parsed = parseBackendCommandLine(
      [
        '--host', '::1', '--port', '8080', '--db', '/tmp/x.sqlite', '--heartbeat-interval-ms', '100',
        '--hello-timeout-ms', '500', '--max-handshakes-in-flight', '64', '--hold-closed', '--unsafe-ack-before-write',
        '--exit-with-stdin', '--workers', '3', '--expected-connections', '40000', '--accept-rate', '12.5',
      ],
      { AFTERSHOCK_BACKEND_PORT: '9090', AFTERSHOCK_BACKEND_HOLD_CLOSED: '0' },
    );
    expect(parsed).toEqual({
      kind: 'run',
      options: {
        host: '::1',
        port: 8080,
        dbPath: '/tmp/x.sqlite',
        heartbeatIntervalMs: 100,
        helloTimeoutMs: 500,
        maxHandshakesInFlight: 64,
        acceptRate: 12.5,
        holdClosed: true,
        allowRemote: false,
        unsafeAckBeforeWrite: true,
        exitWithStdin: true,
        workers: 3,
        expectedConnections: 40_000,
      },
    });
  });

  test('--workers auto sizes itself from --expected-connections, 16,000 per worker', () => {
    const auto = (expected: string): number => {
      const parsed = parseBackendCommandLine(['--workers', 'auto', '--expected-connections', expected], {});
      if (parsed.kind !== 'run') throw new Error(JSON.stringify(parsed));
      return workerCountFor(parsed.options);
    };
    expect(auto('0')).toBe(1);
    expect(auto('16000')).toBe(1);
    expect(auto('16001')).toBe(2);
    expect(auto('100000')).toBe(7);
    expect(workerCountFor(defaultBackendOptions)).toBe(1);
    expect(parseBackendCommandLine(['--workers', 'auto'], {})).toEqual({
      kind: 'error',
      problems: ['--workers auto needs --expected-connections N to size itself'],
    });
    expect(parseBackendCommandLine(['--workers', '0'], { AFTERSHOCK_BACKEND_EXPECTED_CONNECTIONS: 'lots' })).toEqual({
      kind: 'error',
      problems: ['--expected-connections must be a non-negative integer, got "lots" (from AFTERSHOCK_BACKEND_EXPECTED_CONNECTIONS)'],
    });
    expect(parseBackendCommandLine(['--workers', 'many'], {})).toEqual({
      kind: 'error',
      problems: ['--workers must be a positive integer or auto, got "many"'],
    });
    expect(parseBackendCommandLine(['--workers', '0'], {})).toEqual({
      kind: 'error',
      problems: ['--workers must be an integer from 1 to 64, got 0'],
    });
  });

  test('every flag can come from AFTERSHOCK_BACKEND_* variables', () => {
    expect(envNameFor('heartbeat-interval-ms')).toBe('AFTERSHOCK_BACKEND_HEARTBEAT_INTERVAL_MS');
    const parsed = parseBackendCommandLine([], {
      AFTERSHOCK_BACKEND_HOST: '10.1.2.3',
      AFTERSHOCK_BACKEND_ALLOW_REMOTE: 'true',
      AFTERSHOCK_BACKEND_PORT: '7000',
      AFTERSHOCK_BACKEND_DB: '/var/tmp/b.sqlite',
      AFTERSHOCK_BACKEND_HEARTBEAT_INTERVAL_MS: '250',
      AFTERSHOCK_BACKEND_MAX_HANDSHAKES_IN_FLIGHT: '8',
      AFTERSHOCK_BACKEND_HOLD_CLOSED: 'yes',
      AFTERSHOCK_BACKEND_ACCEPT_RATE: '800',
    });
    expect(parsed).toEqual({
      kind: 'run',
      options: {
        ...defaultBackendOptions,
        host: '10.1.2.3',
        allowRemote: true,
        port: 7000,
        dbPath: '/var/tmp/b.sqlite',
        heartbeatIntervalMs: 250,
        maxHandshakesInFlight: 8,
        acceptRate: 800,
        holdClosed: true,
      },
    });
  });

  test('reports every problem, naming the flag, the limit and the value seen', () => {
    const parsed = parseBackendCommandLine(['--port', '65536', '--heartbeat-interval-ms', '1', '--host', '0.0.0.0'], {
      AFTERSHOCK_BACKEND_MAX_HANDSHAKES_IN_FLIGHT: 'many',
      AFTERSHOCK_BACKEND_HOLD_CLOSED: 'maybe',
    });
    expect(parsed).toEqual({
      kind: 'error',
      problems: [
        '--max-handshakes-in-flight must be a non-negative integer, got "many" (from AFTERSHOCK_BACKEND_MAX_HANDSHAKES_IN_FLIGHT)',
        'AFTERSHOCK_BACKEND_HOLD_CLOSED must be 1/true/yes or 0/false/no, got "maybe"',
      ],
    });
    expect(parseBackendCommandLine(['--port', '65536', '--heartbeat-interval-ms', '1', '--host', '0.0.0.0'], {})).toEqual({
      kind: 'error',
      problems: [
        '--host 0.0.0.0 is not a loopback address; pass --allow-remote to listen on it anyway',
        '--port must be an integer from 0 to 65535, got 65536',
        '--heartbeat-interval-ms must be an integer from 10 to 3600000, got 1',
      ],
    });
  });

  test('--accept-rate takes a positive number per second, as String() writes one; anything else is named with the value seen', () => {
    const rate = (text: string): number | null => {
      const parsed = parseBackendCommandLine(['--accept-rate', text], {});
      if (parsed.kind !== 'run') throw new Error(JSON.stringify(parsed));
      return parsed.options.acceptRate;
    };
    expect(defaultBackendOptions.acceptRate).toBeNull();
    expect(rate('800')).toBe(800);
    expect(rate('0.5')).toBe(0.5);
    expect(rate(String(0.1 * 3))).toBe(0.1 * 3);
    expect(rate(String(1e21))).toBe(1e21);
    expect(parseBackendCommandLine(['--accept-rate', '0'], {})).toEqual({
      kind: 'error',
      problems: ['--accept-rate must be a positive number of handshakes per second (above 0), got 0'],
    });
    expect(parseBackendCommandLine([], { AFTERSHOCK_BACKEND_ACCEPT_RATE: '40/s' })).toEqual({
      kind: 'error',
      problems: ['--accept-rate must be a positive number of handshakes per second, such as 800 or 12.5, got "40/s" (from AFTERSHOCK_BACKEND_ACCEPT_RATE)'],
    });
    expect(parseBackendCommandLine(['--accept-rate=-5'], {})).toEqual({
      kind: 'error',
      problems: ['--accept-rate must be a positive number of handshakes per second, such as 800 or 12.5, got "-5"'],
    });
  });

  test('parseArgs errors become short messages', () => {
    expect(parseBackendCommandLine(['--port'], {})).toEqual({ kind: 'error', problems: ['--port needs a value'] });
    expect(parseBackendCommandLine(['--hold-closed=no'], {})).toEqual({
      kind: 'error',
      problems: ['--hold-closed is a switch and takes no value; pass just --hold-closed'],
    });
    expect(parseBackendCommandLine(['8080'], {})).toEqual({
      kind: 'error',
      problems: ['unexpected argument "8080"; every value needs its flag, e.g. --port 8080'],
    });
    expect(parseBackendCommandLine(['--help'], {})).toEqual({ kind: 'help' });
  });
});

test('isLoopbackHost accepts only addresses this machine alone can reach', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
  for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
});
