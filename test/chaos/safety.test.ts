import { expect, test } from 'vitest';
import { assertChaosAllowed, isLoopback } from '../../chaos/safety.ts';

const endpoints = (host: string) => ({ wsBaseUrl: `ws://${host}:4000`, httpBaseUrl: `http://${host}:4000` });

test('loopback hosts are always allowed', () => {
  for (const host of ['127.0.0.1', '127.4.5.6', 'localhost', '[::1]']) {
    expect(isLoopback(new URL(`http://${host}:1`).hostname)).toBe(true);
    expect(() => assertChaosAllowed(endpoints(host), [], false)).not.toThrow();
  }
});

test('a remote host needs both the scenario allow-list and --allow-remote', () => {
  expect(() => assertChaosAllowed(endpoints('10.0.0.5'), [], true)).toThrow(/refusing chaos against 10\.0\.0\.5: .*remoteTargets does not name it/);
  expect(() => assertChaosAllowed(endpoints('10.0.0.5'), ['10.0.0.5'], false)).toThrow(/--allow-remote was not given/);
  expect(() => assertChaosAllowed(endpoints('10.0.0.5'), ['10.0.0.5'], true)).not.toThrow();
  expect(() => assertChaosAllowed(endpoints('backend.example'), ['10.0.0.5'], true)).toThrow(/backend\.example/);
});
