/**
 * Seeded down-sampling: keeps an exact share of rows, chosen by a seeded partial Fisher–Yates
 * shuffle (pure-rand), returned in their original order so the sample reads like the trace. The
 * generator is the stress clients' mixed-seed one: raw xoroshiro128+ on a small seed draws almost
 * the same first value for every seed, which would correlate the first pick across seeds.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { seededRng, STREAMS } from '../load-shapes/seeded-rng.js';

/**
 * Indices of `round(count × fraction)` rows (at least one when `count > 0`), ascending; a
 * `fraction` above 1 is a number of rows (a whole number: `3` keeps 3 rows, all when fewer). The
 * same `(count, fraction, seed)` always gives the same indices; `fraction` 1 keeps everything.
 */
export function sampleIndices(count: number, fraction: number, seed: number): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  const keep = fraction > 1 ? Math.min(count, fraction) : Math.max(1, Math.round(count * fraction));
  if (keep >= count || count === 0) return all;
  const rng = seededRng(seed, STREAMS.sample);
  for (let i = 0; i < keep; i++) {
    const j = uniformInt(rng, i, count - 1);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.slice(0, keep).sort((a, b) => a - b);
}
