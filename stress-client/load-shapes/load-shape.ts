/**
 * Load shapes: how many jobs arrive when. A shape only produces arrival times; generating the
 * jobs, submitting them and measuring are separate steps, so one shape feeds both the real-time
 * runner and the virtual-time simulator.
 *
 * Timing follows the original stress clients (`run_count` turns, `time_interval` seconds apart:
 * turns at t = 0, i, 2i, …; `F(t)` jobs at turn t, posted together).
 */
import { z } from 'zod';

/** Every shape kind, as named on the command line. */
export const LOAD_SHAPE_KINDS = ['steady', 'bursty', 'incremental', 'random'] as const;
/** One of {@link LOAD_SHAPE_KINDS}. */
export type LoadShapeKind = (typeof LOAD_SHAPE_KINDS)[number];

const nonNegative = z.number().finite().nonnegative();

/** Steady: F(t) = a jobs per turn (a fractional `a` is carried: 0.5 gives 1, 0, 1, 0, …). */
export const steadyShapeSchema = z.strictObject({
  kind: z.literal('steady'),
  jobsPerTurn: nonNegative.default(1),
});

/**
 * Bursty: per turn `ceil(Exp(λ))` jobs, exactly as the original; with `poisson`, a true Poisson
 * process instead: exponential gaps at `ratePerSecond` (default `1 / (λ × interval)`, so the mean
 * per interval equals the exponential draw's mean 1/λ).
 */
export const burstyShapeSchema = z.strictObject({
  kind: z.literal('bursty'),
  lambda: z.number().finite().positive().default(0.5),
  poisson: z.boolean().default(false),
  ratePerSecond: z.number().finite().positive().optional(),
});

/** Incremental: F(t) = coefficient·t + constant, t in seconds; fractions carried, negatives → 0. */
export const incrementalShapeSchema = z.strictObject({
  kind: z.literal('incremental'),
  coefficient: z.number().finite().default(1),
  constant: z.number().finite().default(0),
});

/** Random: a uniform integer in [lower, upper] (both inclusive) per turn. */
export const randomShapeSchema = z
  .strictObject({
    kind: z.literal('random'),
    lower: z.number().int().nonnegative().default(1),
    upper: z.number().int().nonnegative().default(3),
  })
  .refine((s) => s.lower <= s.upper, { message: 'must be ≥ lower', path: ['upper'] });

/** Any load shape, validated. */
export const loadShapeSchema = z.discriminatedUnion('kind', [
  steadyShapeSchema,
  burstyShapeSchema,
  incrementalShapeSchema,
  randomShapeSchema,
]);
/** A validated load shape, defaults filled in. */
export type LoadShape = z.output<typeof loadShapeSchema>;
/** Load-shape parameters as given (defaults optional). */
export type LoadShapeInput = z.input<typeof loadShapeSchema>;

/** Turns: an interval and either a number of turns or a duration (turns = ceil(duration ÷ interval)). */
export const loadTimingSchema = z
  .strictObject({
    intervalSeconds: z.number().finite().positive().default(1),
    turns: z.number().int().positive().max(10_000_000).optional(),
    durationSeconds: z.number().finite().positive().optional(),
  })
  .refine((t) => t.turns === undefined || t.durationSeconds === undefined, {
    message: 'give turns or durationSeconds, not both',
    path: ['durationSeconds'],
  });
/** Timing as given: interval, and turns or a duration. */
export type LoadTimingInput = z.input<typeof loadTimingSchema>;

/** Resolved timing: turn k happens at k × intervalSeconds, k = 0 … turns − 1. */
export interface LoadTiming {
  readonly intervalSeconds: number;
  readonly turns: number;
}

/** Turns when neither `turns` nor `durationSeconds` is given. */
export const DEFAULT_TURNS = 10;

/** Arrival times a shape produced, with the per-turn counts they came from. */
export interface Arrivals {
  /** Milliseconds after the run's start, ascending. */
  readonly arrivalsMs: readonly number[];
  /** Jobs arriving in each turn's interval [k·i, (k+1)·i). */
  readonly perTurn: readonly number[];
}
