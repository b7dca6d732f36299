import { defineScenario } from '../define-scenario.ts';

/** A slow network: every byte from the backend is late by 2 s (plus or minus 1 s) for 5 minutes. */
export default defineScenario({
  name: 'slow-network',
  description: 'Backend-to-device latency of 2 s (jitter 1 s) for 5 minutes; handshakes slow down, nobody should drop.',
  seed: 'slow-network',
  timeScale: 20,
  fleet: { devices: 1000, rampUp: '30s' },
  chaos: [{ kind: 'network', at: '30s', for: '5m', toxic: { type: 'latency', latencyMs: 2000, jitterMs: 1000 }, stream: 'downstream' }],
  deadline: '30m',
});
