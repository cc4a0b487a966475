/**
 * The numbers a run is judged by, computed from a {@link RunResult} (see `summarise`). Times are
 * seconds. Shared by the terminal summary, the report files, `compare` and the thresholds that
 * make a run exit non-zero.
 */

/** Distribution of one per-job time over the jobs that have it. */
export interface TimeStats {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** The per-job times a summary reports: waiting = start − submit, execution, total. */
export const TIME_METRICS = ['waiting', 'execution', 'total'] as const;
export type TimeMetric = (typeof TIME_METRICS)[number];

/** Statistics a threshold may name. */
export const TIME_STATS = ['mean', 'p50', 'p90', 'p95', 'p99', 'max'] as const;
export type TimeStat = (typeof TIME_STATS)[number];

/** A limit that fails the run when exceeded, e.g. `--max-p95-wait 10s`. */
export interface Threshold {
  readonly metric: TimeMetric;
  readonly stat: TimeStat;
  readonly maxSeconds: number;
}

/** One run's summary. */
export interface RunSummary {
  readonly mode: string;
  readonly strategy: string;
  /** The workload's seed (runs of one strategy on several seeds are aggregated by it). */
  readonly seed: number;
  readonly jobs: {
    readonly submitted: number;
    readonly finished: number;
    readonly failed: number;
    /** Refused at submission (state `rejected`, real-time runs): never part of the cluster's load. */
    readonly rejected: number;
    /** Accepted but never placed before the run ended. */
    readonly unplaced: number;
  };
  readonly times: Readonly<Record<TimeMetric, TimeStats | null>>;
  /** Time-weighted mean of used cores ÷ total cores over the run, 0..1. */
  readonly utilisation: number;
  /** Time-weighted mean of used memory ÷ total memory over the run, 0..1. */
  readonly memoryUtilisation: number;
  /**
   * Busy workers ÷ the fewest workers that could hold the used cores and memory (largest first;
   * see `packing-metrics.ts`), time-weighted over the time something runs: 1 is perfect packing.
   * Null when the fleet is unknown or nothing ran.
   */
  readonly workersVsBound: number | null;
  /**
   * Share of free cores that a task of the workload's mix could not use (too few free cores or
   * too little free memory on its worker; FGD's fragmentation): fragmented core·s ÷ free core·s,
   * 0..1. Null when the fleet is unknown or never had a free core.
   */
  readonly fragmentation: number | null;
  /** Used core·s ÷ core·s of the workers in use (how full the busy workers are), 0..1; null as above. */
  readonly busyWorkerUtilisation: number | null;
  /** Tasks placed per second of run time; null in virtual time, where it measures the workload. */
  readonly placementsPerSecond: number | null;
  readonly peakQueueDepth: number;
  readonly durationSeconds: number;
  readonly wallSeconds: number;
}
