import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

/** A source of uniform numbers in [0, 1). Each call advances the stream. */
export type Rng = () => number;

/**
 * FNV-1a over the UTF-16 code units of `text`, as an unsigned 32-bit integer.
 * Used only to turn (seed, stream name) into a generator seed.
 */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A random stream owned by one subject (a device, a chaos event) of one run.
 * The stream depends only on (seed, subject), never on how many other
 * subjects exist, so adding devices does not reshuffle the others.
 */
export function streamRng(seed: string | number, subject: string): Rng {
  const generator = xoroshiro128plus(hash32(`${seed}\u0000${subject}`) | 0);
  return () => uniformFloat64(generator);
}

/**
 * The key of one named family of per-subject streams (e.g. every device's
 * policy stream) in one run: hashed once per run, not once per device, so a
 * fleet of ten million pays no string formatting per device.
 */
export function streamKey(seed: string | number, family: string): number {
  return hash32(`${seed}\u0000${family}`);
}

/** One MurmurHash3 block round: absorbs the 32-bit word `k` into `h`. */
function absorb(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * The `draw`-th number (0-based) of subject `subject`'s stream in family
 * `key`, uniform in [0, 1). Counter-based: a stream needs no state but its
 * draw count, so the planner keeps ten million streams in one Uint32Array.
 * MurmurHash3 of (draw, subject) seeded by the key; its finaliser is a
 * bijection, so two subjects never draw the same number at the same count.
 * 32 bits of resolution: 60 s / 2^32 is about 14 ns, far below any timer.
 */
export function drawAt(key: number, subject: number, draw: number): number {
  let h = absorb(absorb(key, draw), subject);
  h ^= 8; // the input length in bytes, as MurmurHash3 finalises
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * Subject `subject`'s stream in family `key` as an `Rng`: draws 0, 1, 2, ...
 * It depends only on (key, subject), never on how many subjects exist.
 */
export function subjectRng(key: number, subject: number): Rng {
  let draw = 0;
  return () => drawAt(key, subject, draw++);
}
