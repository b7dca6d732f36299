import { defineScenario } from '../define-scenario.ts';

/** Short outages repeated: the backend is killed four times, each time for 20 seconds. */
export default defineScenario({
  name: 'flapping',
  description: 'Four short hard kills (20 s each), 90 s apart: devices caught in the middle of their backoff.',
  seed: 'flapping',
  timeScale: 60,
  fleet: { devices: 1000, rampUp: '30s' },
  chaos: [
    { kind: 'kill', at: '30s', for: '20s' },
    { kind: 'kill', at: '2m', for: '20s' },
    { kind: 'kill', at: '3m30s', for: '20s' },
    { kind: 'kill', at: '5m', for: '20s' },
  ],
  thresholds: { 'recovery.t100': ['<=6m30s'], 'devices.never_returned': ['==0'] },
  deadline: '30m',
});
