import { drawAt, streamKey, subjectRng, type Rng } from './policy/rng.ts';

/**
 * The per-device random streams of a run, shared by the fleet and the planner
 * so that a modelled device draws exactly the waits the simulated one does.
 * A stream is keyed by (seed, family) and indexed by the device's index in
 * the whole fleet: it never depends on how many devices there are.
 * Pure: no Node imports, so the model and the k6 export can use it.
 */
export const deviceStreamFamilies = {
  /** Every wait the reconnect policy draws. */
  policy: 'device-policy',
  /** The boot time within the ramp-up (one draw). */
  boot: 'device-boot',
} as const;

/** The key of every device's policy stream in a run with this seed. */
export function devicePolicyKey(seed: string | number): number {
  return streamKey(seed, deviceStreamFamilies.policy);
}

/** The key of every device's boot stream in a run with this seed. */
export function deviceBootKey(seed: string | number): number {
  return streamKey(seed, deviceStreamFamilies.boot);
}

/** The random stream a device draws its policy waits from. */
export function devicePolicyRng(seed: string | number, index: number): Rng {
  return subjectRng(devicePolicyKey(seed), index);
}

/** The random stream a device draws its boot time from. */
export function deviceBootRng(seed: string | number, index: number): Rng {
  return subjectRng(deviceBootKey(seed), index);
}

/** When device `index` boots, in ms after the fleet starts: U(0, rampUpMs). */
export function deviceBootAfterMs(bootKey: number, index: number, rampUpMs: number): number {
  return drawAt(bootKey, index, 0) * rampUpMs;
}

/**
 * How many times per heartbeat timeout a device checks its deadline. The
 * fleet checks all devices in one sweep; fine-grained so that the sweep's
 * one phase does not bunch the fleet's notices of a silent backend into a
 * few moments (real devices each run their own timer). The planner uses it too.
 */
export const heartbeatChecksPerTimeout = 64;
