/**
 * Distribution statistics and time-weighted means: the arithmetic behind `summarise`, kept apart
 * so the definitions (which percentile, how a step function is averaged) are tested on their own.
 */
import type { TimeStats } from './run-summary.js';

/**
 * The `q`-quantile (0..1) of ascending `sorted` by linear interpolation between closest ranks
 * (the "R-7" definition used by NumPy and spreadsheets): p50 of [1, 2, 3, 4] is 2.5.
 * @throws RangeError for an empty list
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty list');
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Count, min, mean, p50/p90/p95/p99 and max of `values`; null when there are none. */
export function timeStats(values: readonly number[]): TimeStats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: sum / sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
  };
}

/** One step of a step function: `value` from `atMs` until the next step. */
export interface Step {
  readonly atMs: number;
  readonly value: number;
}

/**
 * Integral of a step function over `[fromMs, toMs]`, in value·ms. Steps must be ascending by
 * time; before the first step the value is 0. The last step lasts until `toMs`.
 */
export function stepIntegral(steps: readonly Step[], fromMs: number, toMs: number): number {
  let area = 0;
  for (let i = 0; i < steps.length; i++) {
    const start = Math.max(steps[i]!.atMs, fromMs);
    const end = Math.min(i + 1 < steps.length ? steps[i + 1]!.atMs : toMs, toMs);
    if (end > start) area += steps[i]!.value * (end - start);
  }
  return area;
}

/**
 * Time-weighted mean of a step function over `[fromMs, toMs]`; for an empty interval, the value
 * in force at `toMs` (a run that took no time is judged by its only state).
 */
export function stepMean(steps: readonly Step[], fromMs: number, toMs: number): number {
  if (toMs > fromMs) return stepIntegral(steps, fromMs, toMs) / (toMs - fromMs);
  let value = 0;
  for (const s of steps) if (s.atMs <= toMs) value = s.value;
  return value;
}
