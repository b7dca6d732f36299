/**
 * k6's striping of VU numbers over execution segments, ported from
 * lib/execution_segment.go (NewExecutionSegmentSequenceWrapper and the
 * SegmentedIndex built on it) so that tests can compute the `idInTest` of
 * every VU of every instance the way k6 does. Segments are fractions
 * [numerator, denominator].
 */
type Fraction = [number, number];

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The segment owning each index 0..lcd-1 of the repeating stripe. */
export function stripeOwners(sequence: Fraction[]): number[] {
  const lengths = sequence.slice(1).map(([n, d], i): Fraction => {
    const [pn, pd] = sequence[i];
    const num = n * pd - pn * d;
    const den = d * pd;
    const g = gcd(num, den);
    return [num / g, den / g];
  });
  const lcd = lengths.reduce((acc, [, d]) => (acc * d) / gcd(acc, d), 1);
  const sorted = lengths
    .map(([n, d], originalIndex) => ({ normNumerator: n * (lcd / d), originalIndex }))
    // Go's sort.SliceStable by normNumerator descending.
    .sort((a, b) => b.normNumerator - a.normNumerator);
  const chosen = new Array<number>(sorted.length).fill(0);
  const owners: number[] = [];
  for (let i = 0; i < lcd; i++) {
    for (let s = 0; s < sorted.length; s++) {
      const num = chosen[s] * lcd;
      const denom = sorted[s].normNumerator;
      const quotient = Math.trunc(num / denom);
      if (i > quotient || (i === quotient && num % denom === 0)) {
        chosen[s]++;
        owners[i] = sorted[s].originalIndex;
        break;
      }
    }
  }
  return owners;
}

/**
 * The global VU numbers (`exec.vu.idInTest`) of the instance running
 * segment `segment` of `sequence`, for a scenario of `vus` VUs: the indexes
 * below `vus` that the stripe gives that segment, plus one.
 */
export function vuIdsOfInstance(sequence: Fraction[], segment: number, vus: number): number[] {
  const owners = stripeOwners(sequence);
  const ids: number[] = [];
  for (let index = 0; index < vus; index++) if (owners[index % owners.length] === segment) ids.push(index + 1);
  return ids;
}
