import { defineScenario } from '../define-scenario.ts';

/**
 * The Oct 7 incident (seeds/incident-oct7-memory-exhaustion.txt): a neighbour
 * on the shared host slowly filled all memory until the backend, still
 * running, could not answer in time. Recovered by a reboot and a careful
 * restart. Here the neighbour and the backend share one memory-limited
 * cgroup whose OOM killer is off, so the backend stalls as the host's did.
 * Needs a kernel that offers a memory cgroup; the run says so if not.
 */
export default defineScenario({
  name: 'oct7-memory-exhaustion',
  description: 'A neighbour fills the shared memory until the backend stalls; reboot and careful restart (Oct 7 incident).',
  seed: 'oct7',
  timeScale: 60,
  fleet: { devices: 1000, rampUp: '30s' },
  policy: { kind: 'seed' },
  target: { kind: 'reference' },
  chaos: [
    // Slow growth first (degradation), then the cgroup is full and the backend stalls.
    { kind: 'memory-hog', label: 'neighbour fills memory', at: '30s', for: '15m', rateMBps: 1, limitMB: 1024, cgroupLimitMB: 512, onLimit: 'stall' },
    // The reboot: the backend is killed and comes back outside the full cgroup.
    { kind: 'kill', label: 'reboot, careful restart', at: '15m', for: '2m', holdClosed: '2m' },
  ],
  deadline: '45m',
});
