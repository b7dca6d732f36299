import { defineScenario } from '../define-scenario.ts';

/**
 * A network partition: data from the backend stops, nothing is closed.
 * Neither side sees anything until a timeout fires. The backend's heartbeat
 * fires first (its pings go unanswered for 30-60 s) and it drops the
 * connections; Toxiproxy passes that close on to the devices, as a real one
 * does. New attempts connect to the proxy but never complete a handshake.
 * Time scale 20: through an in-process proxy, 1,000 handshakes need more
 * than the 167 ms a 10 s timeout leaves at scale 60.
 */
export default defineScenario({
  name: 'network-partition',
  description: 'Backend-to-device traffic black-holed for 3 minutes; devices notice only by timeouts.',
  seed: 'partition',
  timeScale: 20,
  fleet: { devices: 1000, rampUp: '30s' },
  chaos: [{ kind: 'network', at: '30s', for: '3m', toxic: { type: 'timeout', timeoutMs: 0 }, stream: 'downstream' }],
  deadline: '30m',
});
