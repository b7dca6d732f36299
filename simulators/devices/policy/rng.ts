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
