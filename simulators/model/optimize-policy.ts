import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { jitterKinds, stagedPolicyDefaults, type StagedPolicyParams } from '../devices/policy/index.ts';
import type { RecoveryTarget } from './find-capacity.ts';
import { evaluatePolicies, type Evaluated } from './optimize-evaluate.ts';
import { modelTickMs, type StormModelInput, type StormModelResult } from './storm-model.ts';

/**
 * The policy advisor: searches staged policies (first-wait window, base,
 * growth, cap, jitter kind) for the ones that meet a recovery target with
 * the lowest recovery-phase peak of attempts.
 *
 * Two passes. The screen models every candidate on a sample of the fleet
 * (`sampleDevices`, with the backend's accept rate and in-flight limit scaled
 * by the same share): the share of devices back by a time and the peak per
 * device do not depend on the fleet's size, and a 3,000-device model run
 * takes milliseconds. The best candidates of the screen are then modelled on
 * the whole fleet, up to the usual horizon, and only what meets the target
 * there is reported: every figure printed comes from a full-size run.
 */
export interface OptimizeRequest {
  /** The fleet, fault, timeouts and backend; its `policy` is ignored. */
  base: Omit<StormModelInput, 'policy'>;
  target: RecoveryTarget;
  /** How many policies to report (default 3). */
  top?: number;
  /** Devices of the screening pass (default 3,000; the whole fleet if smaller). */
  sampleDevices?: number;
  /** How many screened candidates to model at full size (default 2 x top, at least 6). */
  verify?: number;
  /** Worker threads (default: the machine's cores, at most 8; 1 models in this thread). */
  threads?: number;
}

export interface OptimizedPolicy {
  policy: StagedPolicyParams;
  /** The full-size model run (without its per-second series). */
  result: Omit<StormModelResult, 'series'>;
  /** ms from the restore until the target's share was back. */
  targetMs: number;
}

export interface OptimizeResult {
  target: RecoveryTarget;
  /** Policies that meet the target, lowest recovery-phase peak first. */
  policies: OptimizedPolicy[];
  /** Candidates screened, how many met the target on the sample, how many were modelled at full size. */
  screened: number;
  metOnSample: number;
  /** The share the sample had to have back by the target's time (see `screenPercentile`). */
  screenPercentile: number;
  verified: number;
  sampleDevices: number;
  /** Wall-clock ms of each pass. */
  screenMs: number;
  verifyMs: number;
}

/** The policy space searched: every combination, decorrelated jitter once per base and cap (it has no factor), and a cap equal to the base once (a constant wait). */
export const searchSpace = {
  firstWaitMaxMs: [30_000, 60_000, 120_000],
  baseMs: [10_000, 30_000, 60_000],
  factor: [1.5, 2, 3],
  capMs: [30_000, 60_000, 120_000, 180_000, 240_000, 360_000],
  jitter: jitterKinds,
} as const;

export function candidatePolicies(): StagedPolicyParams[] {
  const out: StagedPolicyParams[] = [];
  for (const jitter of searchSpace.jitter) {
    for (const firstMaxMs of searchSpace.firstWaitMaxMs) {
      for (const baseMs of searchSpace.baseMs) {
        for (const capMs of searchSpace.capMs) {
          if (capMs < baseMs) continue;
          // A cap at the base is a constant wait, whatever the factor: one candidate, factor 1
          // (decorrelated's min(cap, U(base, 3 x previous)) is then the base every time, as none's).
          if (capMs === baseMs) {
            if (jitter !== 'decorrelated') out.push({ kind: 'staged', firstMinMs: 0, firstMaxMs, baseMs, factor: 1, capMs, jitter });
            continue;
          }
          const factors = jitter === 'decorrelated' ? [stagedPolicyDefaults.factor] : searchSpace.factor;
          for (const factor of factors) out.push({ kind: 'staged', firstMinMs: 0, firstMaxMs, baseMs, factor, capMs, jitter });
        }
      }
    }
  }
  return out;
}

/** Most worker threads the advisor runs at once (each full-size run holds ~60 MB per million devices). */
const maxThreads = 8;

/** One job for a worker: the policies modelled on `input`, answered in order. */
function ask(worker: Worker, input: Omit<StormModelInput, 'policy'>, policies: readonly StagedPolicyParams[], full: boolean): Promise<Evaluated[]> {
  return new Promise<Evaluated[]>((resolve, reject) => {
    worker.once('message', (answer: Evaluated[]) => {
      worker.removeListener('error', reject);
      resolve(answer);
    });
    worker.once('error', reject);
    worker.postMessage({ input, policies, full });
  });
}

/** A pool of worker threads that model policies in parallel; one thread means in this thread. */
class ModelPool {
  private readonly workers: Worker[];

  constructor(threads: number) {
    const entry = new URL('./optimize-worker.mjs', import.meta.url);
    this.workers = threads > 1 ? Array.from({ length: threads }, () => new Worker(entry)) : [];
  }

  get threads(): number {
    return Math.max(1, this.workers.length);
  }

  /**
   * Models each policy on `input` in a fresh worker of its own, all of them
   * at once (at most 8), answered in the policies' order.
   * - All at once: three full-size runs in the pool's two lanes (one per
   *   core) left the third running alone on one core while the other idled.
   * - Fresh: the model's helpers are closures made per run, and V8's
   *   optimised code for one run calls the previous run's closures, so a
   *   thread's second model run of a million devices deoptimises to calls it
   *   cannot inline and takes 1.3-1.8x as long (3.9 s, then 5.2 s, measured
   *   in one thread). A fresh worker costs about 200 ms, mostly loading the model.
   */
  async evaluateFresh(input: Omit<StormModelInput, 'policy'>, policies: readonly StagedPolicyParams[], full: boolean): Promise<Evaluated[]> {
    if (this.workers.length === 0) return evaluatePolicies(input, policies, full);
    const entry = new URL('./optimize-worker.mjs', import.meta.url);
    const out: Evaluated[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < policies.length) {
        const at = next++;
        const worker = new Worker(entry);
        try {
          [out[at]] = await ask(worker, input, [policies[at]], full);
        } finally {
          await worker.terminate();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(policies.length, maxThreads) }, lane));
    return out;
  }

  /** Models every policy on `input`, in the policies' order. */
  async evaluate(input: Omit<StormModelInput, 'policy'>, policies: readonly StagedPolicyParams[], full: boolean): Promise<Evaluated[]> {
    if (this.workers.length === 0) return evaluatePolicies(input, policies, full);
    // Small chunks, handed to whichever worker is free: model runs differ tenfold in cost.
    const chunk = full ? 1 : Math.max(1, Math.ceil(policies.length / (this.workers.length * 8)));
    const out: Evaluated[][] = [];
    let next = 0;
    const feed = async (worker: Worker): Promise<void> => {
      while (next < policies.length) {
        const at = next;
        next += chunk;
        out[at] = await ask(worker, input, policies.slice(at, at + chunk), full);
      }
    };
    await Promise.all(this.workers.map(feed));
    return out.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * The share the sample must have back by the target's time for a candidate
 * to pass the screen: the target's, plus two standard errors of a share
 * measured on `sample` of `devices` devices (with the finite-population
 * correction, so a sample of the whole fleet needs no margin). Without it the
 * sample's best are the policies that only just meet the target, and about
 * half of them miss it at full size (1M devices: 299.7 s on the sample, 306.7 s
 * for the fleet), each miss a full-size model run wasted.
 */
export function screenPercentile(percentile: number, sample: number, devices: number): number {
  if (sample >= devices) return percentile;
  const q = percentile / 100;
  const standardError = Math.sqrt(((q * (1 - q)) / sample) * ((devices - sample) / (devices - 1)));
  return Math.min(100, percentile + 200 * standardError);
}

export async function optimizePolicy(request: OptimizeRequest): Promise<OptimizeResult> {
  const { base, target } = request;
  if (!base.fault) throw new RangeError('optimizePolicy needs a fault: recovery is measured from the restore');
  const top = request.top ?? 3;
  const verify = request.verify ?? Math.max(6, 2 * top);
  const sampleDevices = Math.min(base.devices, request.sampleDevices ?? 3000);
  const share = sampleDevices / base.devices;
  const restoredAtMs = base.fault.atMs + base.fault.outageMs;
  const sample: Omit<StormModelInput, 'policy'> = {
    ...base,
    devices: sampleDevices,
    capacity: {
      ...base.capacity,
      acceptPerSecond: base.capacity.acceptPerSecond * share,
      maxInFlight: Number.isFinite(base.capacity.maxInFlight) ? Math.max(1, Math.round(base.capacity.maxInFlight * share)) : Infinity,
    },
    extraPercentiles: [screenPercentile(target.percentile, sampleDevices, base.devices)],
    // A return after the target's time cannot meet it; the bulk of the recovery, and its peak, is in this window.
    untilMs: restoredAtMs + target.withinMs + modelTickMs,
  };
  const meets = (e: Evaluated): boolean => e.targetMs !== null && e.targetMs <= target.withinMs;
  const pool = new ModelPool(Math.max(1, Math.min(request.threads ?? availableParallelism(), maxThreads)));
  try {
    const screenStarted = performance.now();
    const candidates = candidatePolicies();
    const screened = (await pool.evaluate(sample, candidates, false)).filter(meets);
    screened.sort((a, b) => a.peak - b.peak || a.attempts - b.attempts);
    const screenMs = performance.now() - screenStarted;

    // The sample's best, at full size, as many at once as are still missing (at least one per
    // thread), until `top` meet the target: with the screen's margin the first `top` mostly do.
    const verifyStarted = performance.now();
    const policies: OptimizedPolicy[] = [];
    let verified = 0;
    while (policies.length < top && verified < Math.min(verify, screened.length)) {
      const size = Math.max(top - policies.length, pool.threads);
      const batch = screened.slice(verified, Math.min(verify, verified + size, screened.length)).map((e) => e.policy);
      verified += batch.length;
      for (const e of await pool.evaluateFresh({ ...base, extraPercentiles: [target.percentile] }, batch, true)) {
        if (meets(e)) policies.push({ policy: e.policy, result: e.result!, targetMs: e.targetMs! });
      }
    }
    policies.sort((a, b) => a.result.attempts.peakPerSecond - b.result.attempts.peakPerSecond || a.result.attempts.total - b.result.attempts.total);
    return { target, policies: policies.slice(0, top), screened: candidates.length, metOnSample: screened.length, screenPercentile: sample.extraPercentiles![0], verified, sampleDevices, screenMs, verifyMs: performance.now() - verifyStarted };
  } finally {
    await pool.close();
  }
}
