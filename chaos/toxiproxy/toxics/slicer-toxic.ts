import type { Rng } from '../toxic-stub.ts';
import { interrupted } from '../toxic-stub.ts';
import { defineToxicType } from './toxic.ts';

/**
 * Where to cut `length` bytes: halves, each cut moved by up to
 * ±`variation`, until every piece is within `variation` of `average` bytes
 * (or smaller). Returns the end offset of each piece, the last being `length`.
 */
export function sliceEnds(length: number, average: number, variation: number, rng: Rng): number[] {
  const ends: number[] = [];
  const cut = (start: number, end: number): void => {
    if (end - start - average <= variation) {
      ends.push(end);
      return;
    }
    const shift = variation > 0 ? Math.floor(rng() * 2 * variation) - variation : 0;
    // Keep the cut inside the piece, so each half is shorter than the whole.
    const mid = Math.min(end - 1, Math.max(start + 1, start + Math.floor((end - start) / 2) + shift));
    cut(start, mid);
    cut(mid, end);
  };
  if (length > 0) cut(0, length);
  return ends;
}

/**
 * Cuts each chunk into pieces of about `average_size` ± `size_variation`
 * bytes, waiting `delay` µs after each piece. An `average_size` below 1 is
 * taken as 1 (Toxiproxy would recurse without end).
 */
export const slicerToxic = defineToxicType({
  attributes: ['average_size', 'size_variation', 'delay'],
  create: ({ average_size, size_variation, delay }) => ({
    async pipe(stub) {
      const average = Math.max(1, average_size);
      const variation = Math.max(0, size_variation);
      const delayMs = delay / 1000;
      for (;;) {
        const chunk = await stub.read();
        if (chunk === interrupted) return;
        if (chunk === null) return stub.close();
        let start = 0;
        for (const end of sliceEnds(chunk.data.length, average, variation, stub.rng)) {
          await stub.write({ data: chunk.data.subarray(start, end), readAtMs: chunk.readAtMs });
          start = end;
          if (stub.interrupted || !(await stub.sleep(delayMs))) {
            // Interrupted: the rest of the chunk goes on in one piece.
            if (start < chunk.data.length) await stub.write({ data: chunk.data.subarray(start), readAtMs: chunk.readAtMs });
            return;
          }
        }
      }
    },
  }),
});
