/**
 * Seeded random generators for the stress clients. pure-rand's xoroshiro128+ seeded with a small
 * integer gives a first draw of almost exactly 1 (seed 1: 0.99999998), which would make the first
 * bursty turn a burst of dozens of jobs; so the seed is mixed (murmur3's 32-bit finaliser) with a
 * stream constant and the first outputs are discarded.
 */
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** murmur3 fmix32: every input bit affects every output bit. */
function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Outputs dropped after seeding. */
const WARM_UP = 16;

/**
 * A generator for `seed` on an independent `stream` (one per use: arrivals, job sizes, session),
 * so changing one use's draws never moves another's.
 */
export function seededRng(seed: number, stream: number): RandomGenerator {
  const rng = xoroshiro128plus(mix32(mix32(seed) ^ stream));
  for (let i = 0; i < WARM_UP; i++) rng.next();
  return rng;
}

/** Stream constants (arbitrary, distinct). */
export const STREAMS = {
  arrivals: 0x243f6a88,
  jobs: 0x6a09e667,
  session: 0x3c6ef372,
  sample: 0x510e527f,
} as const;
