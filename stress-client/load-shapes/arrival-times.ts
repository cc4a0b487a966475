/**
 * The one entry point of the load shapes: validated parameters and timing in, arrival times out.
 */
import { AppError } from '../../core/errors/index.js';
import {
  DEFAULT_TURNS,
  loadShapeSchema,
  loadTimingSchema,
  type Arrivals,
  type LoadShape,
  type LoadShapeInput,
  type LoadTiming,
  type LoadTimingInput,
} from './load-shape.js';
import { parseInput } from './parse-input.js';
import { seededRng, STREAMS } from './seeded-rng.js';
import { burstyCounts, carriedCounts, poissonTimes, randomCounts } from './turn-counts.js';

/** A run asking for more arrivals than this is refused (a typo, not an experiment). */
export const MAX_ARRIVALS = 1_000_000;

/** Validates shape parameters (defaults filled in). @throws AppError naming the field */
export function resolveShape(input: LoadShapeInput | Record<string, unknown>): LoadShape {
  return parseInput(loadShapeSchema, input, 'load shape');
}

/** Validates timing; a duration becomes ceil(duration ÷ interval) turns. @throws AppError naming the field */
export function resolveTiming(input: LoadTimingInput = {}): LoadTiming {
  const t = parseInput(loadTimingSchema, input, 'timing');
  const turns =
    t.turns ??
    (t.durationSeconds !== undefined
      ? Math.ceil(t.durationSeconds / t.intervalSeconds - 1e-9)
      : DEFAULT_TURNS);
  return { intervalSeconds: t.intervalSeconds, turns: Math.max(1, turns) };
}

function perTurnCounts(shape: LoadShape, timing: LoadTiming, seed: number): number[] {
  const { turns, intervalSeconds } = timing;
  switch (shape.kind) {
    case 'steady':
      return carriedCounts(Array.from({ length: turns }, () => shape.jobsPerTurn));
    case 'incremental':
      return carriedCounts(
        Array.from({ length: turns }, (_, k) => shape.coefficient * k * intervalSeconds + shape.constant),
      );
    case 'bursty':
      return burstyCounts(seededRng(seed, STREAMS.arrivals), shape.lambda, turns);
    case 'random':
      return randomCounts(seededRng(seed, STREAMS.arrivals), shape.lower, shape.upper, turns);
  }
}

function tooMany(total: number): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `the load shape asks for ${total} arrivals, more than the ${MAX_ARRIVALS} allowed: lower the rate or the number of turns`,
  );
}

/**
 * Arrival times of `shape` over `timing`. Turn-based shapes put a turn's jobs at its start
 * (k × interval), as the original posted them back to back; the Poisson option spreads them.
 * Same (shape, timing, seed) → same arrivals.
 * @throws AppError `VALIDATION_FAILED` when more than {@link MAX_ARRIVALS} would arrive
 */
export function arrivalTimes(shape: LoadShape, timing: LoadTiming, seed: number): Arrivals {
  const intervalMs = timing.intervalSeconds * 1000;
  if (shape.kind === 'bursty' && shape.poisson) {
    const rate = shape.ratePerSecond ?? 1 / (shape.lambda * timing.intervalSeconds);
    let times: number[];
    try {
      times = poissonTimes(
        seededRng(seed, STREAMS.arrivals),
        rate,
        timing.turns * timing.intervalSeconds,
        MAX_ARRIVALS,
      );
    } catch {
      throw tooMany(MAX_ARRIVALS + 1);
    }
    const arrivalsMs = times.map((t) => Math.round(t * 1000));
    const perTurn = new Array<number>(timing.turns).fill(0);
    for (const ms of arrivalsMs) {
      const k = Math.min(timing.turns - 1, Math.floor(ms / intervalMs));
      perTurn[k] = (perTurn[k] ?? 0) + 1;
    }
    return { arrivalsMs, perTurn };
  }
  const perTurn = perTurnCounts(shape, timing, seed);
  const total = perTurn.reduce((a, b) => a + b, 0);
  if (total > MAX_ARRIVALS) throw tooMany(total);
  const arrivalsMs: number[] = [];
  perTurn.forEach((n, k) => {
    const at = Math.round(k * intervalMs);
    for (let j = 0; j < n; j++) arrivalsMs.push(at);
  });
  return { arrivalsMs, perTurn };
}
