import { isPolicyKind, jitterKinds, policyDefaults, policyKinds, stagedPolicyDefaults, type PolicyParams } from '../../simulators/devices/policy/index.ts';
import { overloadBehaviours, parseRate, type CapacityParams, type OverloadBehaviour } from '../../simulators/model/capacity-model.ts';
import { faultKinds, isFaultKind, type FaultKind } from '../../simulators/model/fault-model.ts';
import { findCapacity, parseRecoveryTarget, type FindCapacityResult, type RecoveryTarget } from '../../simulators/model/find-capacity.ts';
import { planDefaultServiceTimeMs, scenarioCapacity } from '../../simulators/model/compare-to-run.ts';
import { outageOfChaos, type ChaosEventLike } from '../../simulators/model/scenario-fault.ts';
import { runStormModel, type ModelTimeouts, type StormModelInput, type StormModelResult } from '../../simulators/model/storm-model.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { loadScenarioInput } from '../load-scenario.ts';
import { stagedPolicyOf } from '../schema/policy-text.ts';
import { validateScenario } from '../validate-scenario.ts';
import { optimizeCommand } from './optimize-output.ts';
import { formatCapacityTable, formatPlanHeader, formatPlanTable } from './plan-table.ts';
import { parseFlags } from './parse-flags.ts';

export const planUsage = `usage: aftershock plan [SCENARIO] [options]

Models a fleet through one outage, in seconds, for any number of devices, and
compares reconnect policies side by side. Times are scenario time; recovery
is measured from the moment the backend is back.

  SCENARIO              take devices, seed, policy, timeouts and the fault
                        from a scenario (built-in name or file); flags win
  --devices N           devices (default 100000; up to ${(25_000_000).toLocaleString('en')})
  --fault KIND          how devices notice: ${faultKinds.join(' | ')} (default hard-kill)
  --outage D            how long the backend is unreachable, e.g. 24m (default 24m)
  --policy K[,K...]     policies to compare, each with its defaults
                        (${policyKinds.join(', ')}; default: all, or the scenario's)
  --first DIST          a staged policy's first wait: "uniform(0, 60s)", "fixed(30s)"
  --then SEQ            its later waits: "exponential(base 60s, factor 2, cap 6m)"
                        or "constant(30s)"
  --jitter J            how later waits are drawn: ${jitterKinds.join(' | ')}
                        (AWS definitions; default none). Any of the three adds
                        a staged policy (defaults: U(0, 60s), then 60s x2 to 6m)
  --accept-rate R       handshakes the backend accepts per second, e.g. 2000/s
                        (default unlimited)
  --max-in-flight N     handshakes in progress at once (default unlimited)
  --service-time D      how long an accepted handshake takes (default 50ms)
  --overload B          what an overloaded backend does: ${overloadBehaviours.join(' | ')}
                        (default refuse)
  --queue D             how long an attempt may wait for its turn at the accept
                        rate (default: as long as the device waits for its
                        handshake); 0: a limiter that answers at once, as the
                        reference backend does. From a scenario whose target
                        has an acceptRate: that rate, 503 and --queue 0
  --connect-timeout D   --handshake-timeout D   --heartbeat-timeout D
  --heartbeat-interval D  the devices' timeouts and the ping period
                        (defaults: the scenario's, else 10s, 10s, 75s, 30s)
  --seed X              seed of every device's random stream (default aftershock)
  --horizon D           stop modelling this long after the restore (default 2h);
                        devices not back by then count as never back
  --find-capacity       search the smallest accept rate that meets --target
  --optimize            search staged policies (first-wait window, base, growth,
                        cap, jitter) for the few that meet --target with the
                        lowest recovery-phase peak; prints each with the
                        scenario lines to paste
  --target P%@D         recovery target, e.g. 99%@5m (default 99%@5m)
  --json                print JSON (with per-second series) instead of a table

Exit codes: 0 done (with --find-capacity: every policy can meet the target;
with --optimize: some policy meets it), 1 some policy cannot meet it at any
accept rate (--optimize: no policy in the space meets it), 2 bad input.`;

const maxDevices = 25_000_000;

function badFlag(flag: string, expected: string, seen: string): AftershockError {
  return new AftershockError('bad-flag', `${flag} must be ${expected}, got "${seen}"; see \`aftershock plan --help\``);
}

function durationFlag(flag: string, text: string | undefined, options: { positive: boolean }): number | undefined {
  if (text === undefined) return undefined;
  // A bare 0 needs no unit.
  const value = text.trim() === '0' ? 0 : parseDuration(text);
  if (value === undefined || (options.positive && value <= 0)) {
    throw badFlag(flag, `a duration${options.positive ? ' longer than 0' : ''} such as "90s", "6m" or "500ms"`, text);
  }
  return value;
}

function wholeFlag(flag: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/_/g, ''));
  if (text.trim() === '' || !Number.isInteger(value) || value < 1 || value > max) {
    throw badFlag(flag, `a whole number from 1 to ${max.toLocaleString('en')}`, text);
  }
  return value;
}

/** What `aftershock plan` will model, before anything runs. */
export interface PlanRequest {
  base: Omit<StormModelInput, 'policy'>;
  policies: PolicyParams[];
  /** Where the inputs came from, for the header. */
  source: string;
  findCapacity?: RecoveryTarget;
  /** `--optimize`: search policies for this target instead of modelling `policies`. */
  optimize?: RecoveryTarget;
}

/** Turns the command line (and the scenario it names) into a plan request; every error is bad input. */
export async function planRequestOf(argv: string[]): Promise<{ request: PlanRequest; json: boolean } | 'help'> {
  const { values, positionals } = parseFlags('plan', {
    args: argv,
    allowPositionals: true,
    options: {
      devices: { type: 'string' },
      fault: { type: 'string' },
      outage: { type: 'string' },
      policy: { type: 'string' },
      first: { type: 'string' },
      then: { type: 'string' },
      jitter: { type: 'string' },
      'accept-rate': { type: 'string' },
      'max-in-flight': { type: 'string' },
      'service-time': { type: 'string' },
      overload: { type: 'string' },
      queue: { type: 'string' },
      'connect-timeout': { type: 'string' },
      'handshake-timeout': { type: 'string' },
      'heartbeat-timeout': { type: 'string' },
      'heartbeat-interval': { type: 'string' },
      seed: { type: 'string' },
      horizon: { type: 'string' },
      'find-capacity': { type: 'boolean', default: false },
      optimize: { type: 'boolean', default: false },
      target: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 1) {
    throw new AftershockError('bad-usage', `plan takes at most one scenario, got ${positionals.length} (${positionals.join(' ')}); see \`aftershock plan --help\``);
  }

  // Defaults, then the scenario's values, then the flags.
  let devices = 100_000;
  let seed: string | number = 'aftershock';
  let scenarioPolicy: PolicyParams | undefined;
  const timeouts: ModelTimeouts = { connectMs: 10_000, handshakeMs: 10_000, heartbeatMs: 75_000, heartbeatIntervalMs: 30_000 };
  let faultKind: FaultKind = 'hard-kill';
  let outageMs = 24 * 60_000;
  /** The scenario's kill inside its freeze, ms after the fault; flags that set the fault drop it. */
  let killAfterMs: number | undefined;
  let source = 'flags';
  // A scenario whose target states an accept rate: the backend that rate is passed to.
  let scenarioBackend: CapacityParams | undefined;
  if (positionals[0] !== undefined) {
    const { input, source: where } = await loadScenarioInput(positionals[0]);
    const scenario = validateScenario(input, where);
    source = `scenario ${scenario.name}`;
    devices = scenario.fleet.devices;
    seed = scenario.seed;
    scenarioPolicy = scenario.policy;
    const stated = scenarioCapacity(scenario, planDefaultServiceTimeMs);
    if (stated.assumed !== 'unlimited') scenarioBackend = stated.params;
    timeouts.connectMs = scenario.fleet.connectTimeout;
    timeouts.handshakeMs = scenario.fleet.handshakeTimeout;
    timeouts.heartbeatMs = scenario.fleet.heartbeatTimeout;
    timeouts.heartbeatIntervalMs = (scenario.target as { heartbeatInterval?: number }).heartbeatInterval ?? timeouts.heartbeatIntervalMs;
    const outage = outageOfChaos(scenario.chaos as unknown as ChaosEventLike[]);
    if (outage && 'kind' in outage) {
      faultKind = outage.kind;
      outageMs = outage.outageMs;
      killAfterMs = outage.killAfterMs;
      if (outage.note) source += ` (${outage.note})`;
    } else if (values.fault === undefined || values.outage === undefined) {
      throw new AftershockError(
        outage ? 'unmodelled-chaos' : 'no-fault',
        outage ? `scenario ${scenario.name}: ${outage.reason}` : `scenario ${scenario.name} has no chaos event to model; give --fault and --outage`,
      );
    }
  }

  devices = wholeFlag('--devices', values.devices, maxDevices) ?? devices;
  if (values.seed !== undefined) seed = values.seed;
  if (values.fault !== undefined || values.outage !== undefined) killAfterMs = undefined;
  if (values.fault !== undefined) {
    if (!isFaultKind(values.fault)) throw badFlag('--fault', `one of ${faultKinds.join(', ')}`, values.fault);
    faultKind = values.fault;
  }
  outageMs = durationFlag('--outage', values.outage, { positive: false }) ?? outageMs;
  timeouts.connectMs = durationFlag('--connect-timeout', values['connect-timeout'], { positive: true }) ?? timeouts.connectMs;
  timeouts.handshakeMs = durationFlag('--handshake-timeout', values['handshake-timeout'], { positive: true }) ?? timeouts.handshakeMs;
  timeouts.heartbeatMs = durationFlag('--heartbeat-timeout', values['heartbeat-timeout'], { positive: true }) ?? timeouts.heartbeatMs;
  timeouts.heartbeatIntervalMs = durationFlag('--heartbeat-interval', values['heartbeat-interval'], { positive: true }) ?? timeouts.heartbeatIntervalMs;

  let policies: PolicyParams[];
  if (values.policy !== undefined) {
    const kinds = values.policy.split(',').map((k) => k.trim());
    const unknown = kinds.filter((k) => !isPolicyKind(k));
    if (unknown.length > 0 || kinds.length === 0) {
      throw new AftershockError('unknown-policy', `unknown policy kind${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} in --policy; valid kinds: ${policyKinds.join(', ')}`);
    }
    // The scenario's own parameters for its kind, the defaults for the others.
    policies = [...new Set(kinds)].map((k) => (scenarioPolicy?.kind === k ? scenarioPolicy : policyDefaults[k as PolicyParams['kind']]));
  } else if (values.first === undefined && values.then === undefined && values.jitter === undefined) {
    policies = scenarioPolicy ? [scenarioPolicy] : policyKinds.map((k) => policyDefaults[k]);
  } else {
    policies = [];
  }
  if (values.first !== undefined || values.then !== undefined || values.jitter !== undefined) {
    // Starting from the scenario's own staged policy, if it has one.
    const staged = stagedPolicyOf(
      { first: values.first, then: values.then, jitter: values.jitter },
      scenarioPolicy?.kind === 'staged' ? scenarioPolicy : stagedPolicyDefaults,
    );
    if (!staged.ok) throw new AftershockError('bad-flag', `${staged.message}; see \`aftershock plan --help\``);
    policies = [...policies.filter((p) => p.kind !== 'staged'), staged.value];
  }

  let acceptPerSecond = scenarioBackend?.acceptPerSecond ?? Infinity;
  if (values['accept-rate'] !== undefined) {
    const rate = parseRate(values['accept-rate']);
    if (rate === undefined) throw badFlag('--accept-rate', 'handshakes per second above 0, such as "2000/s", "120/m" or "unlimited"', values['accept-rate']);
    acceptPerSecond = rate;
  }
  const overload = values.overload ?? scenarioBackend?.overload ?? 'refuse';
  if (!(overloadBehaviours as readonly string[]).includes(overload)) throw badFlag('--overload', `one of ${overloadBehaviours.join(', ')}`, overload);
  const capacity: CapacityParams = {
    acceptPerSecond,
    maxInFlight: wholeFlag('--max-in-flight', values['max-in-flight'], Number.MAX_SAFE_INTEGER) ?? Infinity,
    serviceTimeMs: durationFlag('--service-time', values['service-time'], { positive: false }) ?? planDefaultServiceTimeMs,
    overload: overload as OverloadBehaviour,
  };
  const queueMs = durationFlag('--queue', values.queue, { positive: false }) ?? scenarioBackend?.queueMs;
  if (queueMs !== undefined) capacity.queueMs = queueMs;

  if (capacity.serviceTimeMs >= timeouts.handshakeMs) {
    throw new AftershockError(
      'bad-flag',
      `--service-time must be shorter than the handshake timeout (${formatDuration(timeouts.handshakeMs)}), got ${formatDuration(capacity.serviceTimeMs)}: no handshake could ever finish; shorten it or raise --handshake-timeout`,
    );
  }

  let target: RecoveryTarget | undefined;
  if (values.optimize) {
    if (values['find-capacity']) throw new AftershockError('bad-usage', '--optimize and --find-capacity search different things (the policy, the accept rate); use one');
    const given = (['policy', 'first', 'then', 'jitter'] as const).filter((flag) => values[flag] !== undefined);
    if (given.length > 0) {
      throw new AftershockError('bad-usage', `--optimize searches the policy itself; drop ${given.map((f) => `--${f}`).join(', ')} (or drop --optimize to model that policy)`);
    }
    target = parseRecoveryTarget(values.target ?? '99%@5m', parseDuration);
    if (!target) throw badFlag('--target', 'a share of devices and a time, such as "99%@5m" (percent above 0 and at most 100)', values.target ?? '');
  } else if (values['find-capacity']) {
    target = parseRecoveryTarget(values.target ?? '99%@5m', parseDuration);
    if (!target) throw badFlag('--target', 'a share of devices and a time, such as "99%@5m" (percent above 0 and at most 100)', values.target ?? '');
    if (values['accept-rate'] !== undefined) {
      throw new AftershockError('bad-usage', '--find-capacity searches the accept rate itself; drop --accept-rate (or drop --find-capacity to model that rate)');
    }
  } else if (values.target !== undefined) {
    throw new AftershockError('bad-usage', '--target only applies with --find-capacity or --optimize; add one or drop --target');
  }

  // Un-jittered policies against a limited backend retry in lockstep for
  // hours, every retry an event: the horizon bounds the work.
  const horizonMs = durationFlag('--horizon', values.horizon, { positive: true }) ?? 2 * 3600_000;

  return {
    json: values.json,
    request: {
      base: { devices, seed, timeouts, fault: { kind: faultKind, atMs: 0, outageMs, ...(killAfterMs !== undefined ? { killAtMs: killAfterMs } : {}) }, capacity, untilMs: outageMs + horizonMs },
      policies,
      source,
      ...(target ? (values.optimize ? { optimize: target } : { findCapacity: target }) : {}),
    },
  };
}

export interface PlannedPolicy {
  policy: PolicyParams;
  /** Wall-clock ms the model took. */
  modelMs: number;
  result: StormModelResult;
  capacity?: FindCapacityResult;
}

/** Runs the model once per policy (and the capacity search, if asked). */
export function runPlan(request: PlanRequest): PlannedPolicy[] {
  return request.policies.map((policy) => {
    const started = performance.now();
    const input: StormModelInput = { ...request.base, policy };
    const capacity = request.findCapacity ? findCapacity(input, request.findCapacity) : undefined;
    // With a capacity found, show the storm at that rate.
    const rate = capacity?.acceptPerSecond;
    const result = runStormModel(rate ? { ...input, capacity: { ...input.capacity, acceptPerSecond: rate } } : input);
    return { policy, modelMs: performance.now() - started, result, ...(capacity ? { capacity } : {}) };
  });
}

export async function planCommand(argv: string[]): Promise<number> {
  const parsed = await planRequestOf(argv);
  if (parsed === 'help') {
    console.log(planUsage);
    return exitCodes.passed;
  }
  const { request, json } = parsed;
  if (request.optimize) return optimizeCommand(request, json);
  const planned = runPlan(request);
  const unmet = planned.filter((p) => p.capacity && p.capacity.acceptPerSecond === null).length;
  if (json) {
    const jsonSafe = (value: number): number | string => (Number.isFinite(value) ? value : 'unlimited');
    console.log(
      JSON.stringify(
        {
          // 2: result.phases (boot, outage, recovery, steady); result.attempts.peakPerSecond is the recovery phase's busiest 5 s.
          schemaVersion: 2,
          source: request.source,
          input: {
            ...request.base,
            capacity: { ...request.base.capacity, acceptPerSecond: jsonSafe(request.base.capacity.acceptPerSecond), maxInFlight: jsonSafe(request.base.capacity.maxInFlight) },
          },
          ...(request.findCapacity ? { target: request.findCapacity } : {}),
          policies: planned.map((p) => ({ policy: p.policy, modelMs: Math.round(p.modelMs), ...(p.capacity ? { capacity: p.capacity } : {}), result: p.result })),
        },
        (key, value) => (value === Infinity ? 'unlimited' : value),
      ),
    );
  } else {
    console.log(formatPlanHeader(request));
    if (request.findCapacity) console.log(formatCapacityTable(planned, request.findCapacity));
    console.log(formatPlanTable(planned));
  }
  return unmet > 0 ? exitCodes.thresholdFailed : exitCodes.passed;
}
