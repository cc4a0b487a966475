/**
 * `summary.json`: every run's summary, the per-strategy aggregates over seeds and the paired
 * comparisons, with units in the key names (`waitP95Seconds`, `coreUtilisationPercent`) and
 * values rounded to 4 significant digits (integers kept whole), so the file reads without float
 * noise and diffs cleanly. `schemaVersion` changes whenever a key does.
 */
import type { PairedComparison, StrategyAggregate } from './seed-aggregate.js';
import type { RunSummary } from './run-summary.js';

/** The value of `schema` in every summary.json of a stress or compare report. */
export const SUMMARY_SCHEMA = 'rswarm-stress-summary';
/** Version 2: unit-named keys, rounded values, runs/aggregates/paired (version 1 was a bare RunSummary or array). */
export const SUMMARY_SCHEMA_VERSION = 2;

/** `x` to 4 significant digits; integers and non-finite values unchanged, −0 as 0. */
export function round4(x: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x === 0 ? 0 : x;
  const r = Number(x.toPrecision(4));
  return r === 0 ? 0 : r;
}

/** Every number in a JSON-like value rounded with {@link round4}. */
export function roundDeep(value: unknown): unknown {
  if (typeof value === 'number') return round4(value);
  if (Array.isArray(value)) return value.map(roundDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v)]));
  }
  return value;
}

const pct = (x: number | null): number | null => (x === null ? null : x * 100);

/** One run as written to summary.json (keys carry units). */
export function runJson(label: string, s: RunSummary): Record<string, unknown> {
  return {
    run: label,
    strategy: s.strategy,
    seed: s.seed,
    mode: s.mode,
    jobs: {
      submitted: s.jobs.submitted,
      finished: s.jobs.finished,
      failed: s.jobs.failed,
      rejected: s.jobs.rejected,
      neverPlaced: s.jobs.unplaced,
    },
    waitingSeconds: s.times.waiting,
    executionSeconds: s.times.execution,
    totalSeconds: s.times.total,
    coreUtilisationPercent: s.utilisation * 100,
    memoryUtilisationPercent: s.memoryUtilisation * 100,
    workersVsBoundRatio: s.workersVsBound,
    busyWorkerUtilisationPercent: pct(s.busyWorkerUtilisation),
    fragmentedFreeCoresPercent: pct(s.fragmentation),
    ...(s.placementsPerSecond === null ? {} : { placementsPerSecond: s.placementsPerSecond }),
    peakQueueDepthJobs: s.peakQueueDepth,
    runSeconds: s.durationSeconds,
  };
}

/** The whole file's content (an object; serialise with 2-space indent and a final newline). */
export function summaryJson(
  runs: readonly { label: string; summary: RunSummary }[],
  aggregates: readonly StrategyAggregate[],
  paired: readonly PairedComparison[],
): Record<string, unknown> {
  const seeds = [...new Set(runs.map((r) => r.summary.seed))];
  return roundDeep({
    schema: SUMMARY_SCHEMA,
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    seeds,
    runs: runs.map((r) => runJson(r.label, r.summary)),
    aggregates: aggregates.map((a) => ({
      strategy: a.strategy,
      seeds: a.seeds,
      figures: Object.fromEntries(
        Object.entries(a.figures).map(([k, m]) => [
          k,
          m === null ? null : { n: m.n, mean: m.mean, sd: m.sd, ci95Low: m.low, ci95High: m.high },
        ]),
      ),
    })),
    paired: paired.map((p) => ({
      baseline: p.baseline,
      strategy: p.strategy,
      figures: Object.fromEntries(
        Object.entries(p.figures).map(([k, d]) => [
          k,
          d === null
            ? null
            : {
                n: d.n,
                meanDifference: d.difference.mean,
                ci95Low: d.difference.low,
                ci95High: d.difference.high,
                lower: d.lower,
                higher: d.higher,
                ties: d.ties,
                signTestP: d.signTestP,
              },
        ]),
      ),
    })),
  }) as Record<string, unknown>;
}
