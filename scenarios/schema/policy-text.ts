import { jitterKinds, stagedPolicyDefaults, type JitterKind, type StagedPolicyParams } from '../../simulators/devices/policy/index.ts';
import { formatDuration, parseDuration } from '../duration.ts';

/**
 * The two stages of a `staged` policy as people write them, in a scenario
 * or on the command line:
 *
 *   first: "uniform(0, 60s)"  |  "fixed(30s)"  |  "30s"
 *   then:  "exponential(base 60s, factor 2, cap 6m)"  |  "constant(30s)"
 *
 * Each parser returns the parameters it read, or a message saying what is
 * wrong and what would be right.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const firstForms = 'write "uniform(MIN, MAX)" (e.g. "uniform(0, 60s)"), "fixed(D)" or a duration';
const thenForms = 'write "exponential(base D, factor F, cap D)" (e.g. "exponential(base 60s, factor 2, cap 6m)", every part optional) or "constant(D)"';

/** A duration inside a policy text; a bare 0 is unambiguous and allowed. */
function durationOf(text: string): number | undefined {
  const trimmed = text.trim();
  return /^0+(\.0+)?$/.test(trimmed) ? 0 : parseDuration(trimmed);
}

/** "name(a, b)" as the name and its comma-separated arguments; undefined for other text. */
function callOf(text: string): { name: string; args: string[] } | undefined {
  const match = /^\s*([a-z]+)\s*\((.*)\)\s*$/i.exec(text);
  if (!match) return undefined;
  const inside = match[2].trim();
  return { name: match[1].toLowerCase(), args: inside === '' ? [] : inside.split(',').map((a) => a.trim()) };
}

export function parseFirstWait(text: string): Parsed<{ minMs: number; maxMs: number }> {
  const bad = (why: string): Parsed<never> => ({ ok: false, message: `first wait ${JSON.stringify(text)}: ${why}; ${firstForms}` });
  const call = callOf(text);
  if (!call) {
    const fixed = durationOf(text);
    return fixed === undefined ? bad('not a distribution') : { ok: true, value: { minMs: fixed, maxMs: fixed } };
  }
  if (call.name === 'fixed') {
    const fixed = call.args.length === 1 ? durationOf(call.args[0]) : undefined;
    return fixed === undefined ? bad('fixed() takes one duration') : { ok: true, value: { minMs: fixed, maxMs: fixed } };
  }
  if (call.name !== 'uniform') return bad(`unknown distribution "${call.name}"`);
  if (call.args.length !== 2) return bad(`uniform() takes two durations, got ${call.args.length}`);
  const [min, max] = call.args.map(durationOf);
  if (min === undefined || max === undefined) return bad('uniform() takes two durations such as 0 and 60s');
  if (max < min) return bad('the upper bound is below the lower one');
  return { ok: true, value: { minMs: min, maxMs: max } };
}

export interface LaterWaits {
  baseMs: number;
  factor: number;
  capMs: number;
  /** Whether the text gave a factor (decorrelated jitter refuses one). */
  factorGiven: boolean;
}

export function parseLaterWaits(text: string): Parsed<LaterWaits> {
  const bad = (why: string): Parsed<never> => ({ ok: false, message: `later waits ${JSON.stringify(text)}: ${why}; ${thenForms}` });
  const call = callOf(text);
  if (!call) return bad('not a sequence');
  if (call.name === 'constant') {
    const every = call.args.length === 1 ? durationOf(call.args[0]) : undefined;
    if (every === undefined || every <= 0) return bad('constant() takes one duration longer than 0');
    return { ok: true, value: { baseMs: every, factor: 1, capMs: every, factorGiven: true } };
  }
  if (call.name !== 'exponential') return bad(`unknown sequence "${call.name}"`);
  const value: LaterWaits = { baseMs: stagedPolicyDefaults.baseMs, factor: stagedPolicyDefaults.factor, capMs: stagedPolicyDefaults.capMs, factorGiven: false };
  const seen = new Set<string>();
  for (const arg of call.args) {
    const match = /^([a-z]+)\s+(.+)$/i.exec(arg);
    const key = match?.[1].toLowerCase();
    if (!match || (key !== 'base' && key !== 'factor' && key !== 'cap')) return bad(`"${arg}" is not "base D", "factor F" or "cap D"`);
    if (seen.has(key)) return bad(`${key} is given twice`);
    seen.add(key);
    if (key === 'factor') {
      const factor = Number(match[2]);
      if (!Number.isFinite(factor) || factor < 1 || factor > 100) return bad(`factor must be a number from 1 to 100 (below 1 the waits would shrink), got "${match[2]}"`);
      value.factor = factor;
      value.factorGiven = true;
    } else {
      const ms = durationOf(match[2]);
      if (ms === undefined || ms <= 0) return bad(`${key} must be a duration longer than 0, got "${match[2]}"`);
      if (key === 'base') value.baseMs = ms;
      else value.capMs = ms;
    }
  }
  if (value.capMs < value.baseMs) return bad(`cap (${formatDuration(value.capMs)}) is below base (${formatDuration(value.baseMs)})`);
  return { ok: true, value };
}

export function isJitterKind(text: string): text is JitterKind {
  return (jitterKinds as readonly string[]).includes(text);
}

/**
 * A staged policy from its three texts (each optional: `from`, by default
 * the defaults, fills in), as the scenario and the command line write it.
 */
export function stagedPolicyOf(texts: { first?: string; then?: string; jitter?: string }, from: StagedPolicyParams = stagedPolicyDefaults): Parsed<StagedPolicyParams> {
  const params: StagedPolicyParams = { ...from };
  if (texts.first !== undefined) {
    const first = parseFirstWait(texts.first);
    if (!first.ok) return first;
    params.firstMinMs = first.value.minMs;
    params.firstMaxMs = first.value.maxMs;
  }
  let factorGiven = false;
  if (texts.then !== undefined) {
    const then = parseLaterWaits(texts.then);
    if (!then.ok) return then;
    ({ baseMs: params.baseMs, factor: params.factor, capMs: params.capMs, factorGiven } = then.value);
  }
  if (texts.jitter !== undefined) {
    if (!isJitterKind(texts.jitter)) return { ok: false, message: `jitter "${texts.jitter}" is not one of ${jitterKinds.join(', ')}` };
    params.jitter = texts.jitter;
  }
  if (params.jitter === 'decorrelated' && factorGiven) {
    return { ok: false, message: 'decorrelated jitter grows by its own rule (U(base, 3 x the previous wait)) and has no factor: write "exponential(base D, cap D)"' };
  }
  return { ok: true, value: params };
}

/** A duration as text that reads back exactly (formatDuration rounds past a minute). */
function exact(ms: number): string {
  const text = formatDuration(ms);
  return ms === 0 ? '0' : parseDuration(text) === ms ? text : `${ms}ms`;
}

/** A staged policy as the texts that would give it back: what a scenario or the command line writes. */
export function stagedPolicyTexts(p: StagedPolicyParams): { first: string; then: string; jitter: JitterKind } {
  const first = p.firstMinMs === p.firstMaxMs ? `fixed(${exact(p.firstMinMs)})` : `uniform(${exact(p.firstMinMs)}, ${exact(p.firstMaxMs)})`;
  const then =
    p.factor === 1 && p.capMs === p.baseMs && p.jitter !== 'decorrelated'
      ? `constant(${exact(p.baseMs)})`
      : p.jitter === 'decorrelated'
      ? `exponential(base ${exact(p.baseMs)}, cap ${exact(p.capMs)})`
      : `exponential(base ${exact(p.baseMs)}, factor ${p.factor}, cap ${exact(p.capMs)})`;
  return { first, then, jitter: p.jitter };
}
