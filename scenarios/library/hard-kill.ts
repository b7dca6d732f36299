import { defineScenario } from '../define-scenario.ts';

/**
 * The classic fault: the backend process is killed hard (as in a forced
 * power-off) and restarted two minutes later. Devices see their sockets reset
 * at once and follow the reconnect policy until the backend is back.
 */
export default defineScenario({
  name: 'hard-kill',
  description: 'Backend hard-killed (SIGKILL), restarted after 2 minutes; devices notice at once by reset.',
  seed: 'hard-kill',
  timeScale: 20,
  fleet: { devices: 2000, rampUp: '30s' },
  policy: { kind: 'seed' },
  target: { kind: 'reference' },
  chaos: [{ kind: 'kill', at: '30s', for: '2m' }],
  // The policy's promise: one cap (6 min) after the restart, everyone is back.
  thresholds: { 'recovery.t100': ['<=6m30s'], 'devices.never_returned': ['==0'], 'verification.early_attempts': ['==0'] },
  deadline: '20m',
});
