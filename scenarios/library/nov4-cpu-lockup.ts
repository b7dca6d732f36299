import { defineScenario } from '../define-scenario.ts';

/**
 * The Nov 4 incident (seeds/incident-nov4-cpu-lockup.txt): the backend went
 * to 100% CPU and stopped answering while the kernel still accepted
 * connections; devices noticed only when pings stopped. The graceful
 * shutdown hung and the box was forced off (about 2 minutes), resized (about
 * 1 minute), started with the web server held closed while the database was
 * checked against the backup (a few minutes), then opened. Devices came back
 * over up to 6 minutes. Times count from the moment the fleet is online.
 */
export default defineScenario({
  name: 'nov4-cpu-lockup',
  description: 'Backend at 100% CPU, graceful stop hangs and is forced, resize, held closed, opened (Nov 4 incident).',
  seed: 'nov4',
  timeScale: 60,
  fleet: { devices: 1000, rampUp: '30s' },
  policy: { kind: 'seed' },
  target: { kind: 'reference' },
  chaos: [
    // Long enough to outlast the forced kill: the lockup ends only with the process.
    { kind: 'cpu-hog', label: 'CPU lockup', at: '30s', for: '14m', dutyCycle: 1 },
    // Operators try SSH and the console first, then a graceful shutdown that hangs.
    { kind: 'stop', label: 'forced power-off, resize', at: '10m', grace: '2m', for: '3m', holdClosed: '4m' },
  ],
  // The incident: devices came back over up to 6 minutes after the web server opened.
  thresholds: { 'recovery.t100': ['<=6m30s'], 'devices.never_returned': ['==0'] },
  deadline: '45m',
});
