import { defineScenario } from '../define-scenario.ts';
import type { ScenarioInput } from '../scenario-schema.ts';
import { killSchedule } from './kill-schedule.ts';

export interface KillUnderWritesOptions {
  kills: number;
  /** Span the kills are spread over, scenario ms. */
  spanMs: number;
  devices: number;
  /**
   * Least planned uptime between a restart and the next kill, scenario ms
   * (default 30 s). A restart itself takes 0.5-2 s of real time (15-60 s of
   * scenario time at scale 30, more on a loaded machine), which eats into it.
   */
  minGapMs?: number;
}

/**
 * Torture: the backend is SIGKILLed again and again at random moments while
 * content is assigned to devices all along. Whatever the API acknowledged
 * must survive every kill, and every device must end on its latest content.
 * Parameterised so tests can run a shorter version of the same scenario.
 */
export function killUnderWrites(options: KillUnderWritesOptions): ScenarioInput {
  // The first 45 s are calm: the API is measured before any fault (one 30 s window).
  const seed = 'kill-under-writes';
  const kills = killSchedule({ seed, kills: options.kills, spanMs: options.spanMs, minGapMs: options.minGapMs ?? 30_000, downMs: [5_000, 20_000], leadMs: 45_000 });
  return defineScenario({
    name: 'kill-under-writes',
    description: `${options.kills} hard kills (SIGKILL) at seeded random moments under continuous content assignments: nothing acknowledged may be lost, every device must converge.`,
    seed,
    // Fast: 20 minutes of kills take 40 real seconds. A restart of the
    // backend takes ~0.5 s of real time, i.e. ~15 s of scenario time more downtime.
    timeScale: 30,
    fleet: { devices: options.devices, rampUp: '20s' },
    policy: { kind: 'seed' },
    target: { kind: 'reference' },
    chaos: kills.map((kill) => ({ kind: 'kill' as const, at: kill.atMs, for: kill.forMs })),
    integrity: { writesPerSecond: 2, origin: true, apiLoad: { connections: 4, duration: '30s' } },
    // Backoff after repeated kills reaches the 6-minute cap, and a loaded
    // machine adds handshake timeouts: leave several caps for the recovery.
    deadline: options.spanMs + 40 * 60_000,
    thresholds: {
      'integrity.assignments_lost': ['==0'],
      'integrity.devices_not_converged': ['==0'],
      'integrity.content_on_screen_pct': ['==100'],
    },
  });
}

export default killUnderWrites({ kills: 20, spanMs: 20 * 60_000, devices: 300 });
