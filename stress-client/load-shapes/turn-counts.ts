/**
 * Jobs per turn for the turn-based shapes. Pure and seeded: the random generator is passed in,
 * so the same seed always gives the same counts.
 */
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

/**
 * Whole counts for a real-valued F(t) per turn: negatives count as 0, and the fractional parts
 * are carried (count_k = round(ΣF up to k) − round(ΣF before k)), so no turn is off by a whole
 * job and the total is the rounded exact sum — where the original crashed in `range()`.
 */
export function carriedCounts(values: readonly number[]): number[] {
  const out: number[] = [];
  let sum = 0;
  let emitted = 0;
  for (const v of values) {
    sum += Math.max(0, v);
    // Rounding the running sum to 9 decimals first absorbs float noise (0.1 + 0.2), so integer
    // inputs always give exactly those integers.
    const target = Math.round(Math.round(sum * 1e9) / 1e9);
    out.push(target - emitted);
    emitted = target;
  }
  return out;
}

/** One exponential draw with rate λ (mean 1/λ), by inversion: −ln(1 − u) / λ, u ∈ [0, 1). */
export function exponentialDraw(rng: RandomGenerator, lambda: number): number {
  return -Math.log(1 - uniformFloat64(rng)) / lambda;
}

/** The original bursty client: `ceil(random.expovariate(λ))` per turn. */
export function burstyCounts(rng: RandomGenerator, lambda: number, turns: number): number[] {
  return Array.from({ length: turns }, () => Math.ceil(exponentialDraw(rng, lambda)));
}

/** The original random client: `randint(lower, upper)` per turn, both bounds inclusive. */
export function randomCounts(rng: RandomGenerator, lower: number, upper: number, turns: number): number[] {
  return Array.from({ length: turns }, () => uniformInt(rng, lower, upper));
}

/**
 * Arrival times (seconds) of a Poisson process of `ratePerSecond` on [0, horizon): exponential
 * gaps, the first one before the first arrival.
 */
export function poissonTimes(
  rng: RandomGenerator,
  ratePerSecond: number,
  horizonSeconds: number,
  max: number,
): number[] {
  const out: number[] = [];
  let t = exponentialDraw(rng, ratePerSecond);
  while (t < horizonSeconds) {
    if (out.length >= max) throw new RangeError(`more than ${max} arrivals`);
    out.push(t);
    t += exponentialDraw(rng, ratePerSecond);
  }
  return out;
}
