import { defineScenario } from '../define-scenario.ts';

/**
 * A network partition: data from the backend stops, nothing is closed.
 * Neither side sees anything until timeouts fire: devices notice by heartbeat
 * timeout, and their new attempts connect to the proxy but never complete a
 * handshake.
 */
export default defineScenario({
  name: 'network-partition',
  description: 'Backend-to-device traffic black-holed for 3 minutes; devices notice only by timeouts.',
  seed: 'partition',
  timeScale: 60,
  fleet: { devices: 1000, rampUp: '30s' },
  chaos: [{ kind: 'network', at: '30s', for: '3m', toxic: { type: 'timeout', timeoutMs: 0 }, stream: 'downstream' }],
  deadline: '30m',
});
