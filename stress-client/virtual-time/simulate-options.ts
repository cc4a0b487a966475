/**
 * The options of the virtual-time simulator (`simulate` in simulate.ts), their defaults and
 * their checking, apart so the CLI and the benchmark can name them without the event loop.
 */
import { DEFAULT_AGING_PER_SECOND } from '../../core/scheduler/index.js';

/** Options of `simulate`; the resolved values are recorded in the result's config. */
export interface SimulateOptions {
  /** Priority points per second waited (`priority` strategy). @defaultValue 0.1 */
  agingPerSecond?: number;
  /**
   * Minimum virtual ms between cluster samples; 0 samples every instant at which something
   * happened (exact peaks). @defaultValue 0
   */
  sampleEveryMs?: number;
  /** Recorded in the result's config as given (the caller's own settings). */
  config?: Record<string, unknown>;
  /** Waiting jobs considered per round, oldest first (the JobManager's maxJobsPerRound). @defaultValue 5000 */
  maxRoundJobs?: number;
  /** Virtual epoch of run time 0 (what `schedule` sees as "now"). @defaultValue Date.now() */
  nowEpochMs?: number;
  /**
   * Schedule on a pruned snapshot first (same placements, see `SimFleet.prunedViews`); false
   * always uses the full snapshot (tests compare the two). @defaultValue true
   */
  pruneIdle?: boolean;
  /**
   * Plan every waiting job of the window in every round, as the JobManager does; false plans only
   * the jobs whose outcome can change (same placements, far faster on deep queues; see
   * selective-round.ts). Tests compare the two. @defaultValue false
   */
  replanAll?: boolean;
  /** Called now and then (about every 250 ms of wall time) and once at the end; see {@link SimProgress}. */
  onProgress?: (progress: SimProgress) => void;
}

/** Where a simulation stands, for a progress bar. */
export interface SimProgress {
  /** Virtual time reached. */
  readonly nowMs: number;
  /** The last arrival's time (a run goes on past it until the last task finishes). */
  readonly lastArrivalMs: number;
  /** Jobs that finished or failed, of `jobs`. */
  readonly done: number;
  readonly jobs: number;
  readonly queueDepth: number;
}

/** The JobManager's default `maxJobsPerRound`. */
export const DEFAULT_MAX_ROUND_JOBS = 5000;

/** The options with their defaults filled in (what a result records). */
export type ResolvedSimulateOptions = Required<Omit<SimulateOptions, 'config' | 'onProgress'>>;

/**
 * The options with their defaults.
 * @throws RangeError naming the option for a bad value
 */
export function checkSimulateOptions(o: SimulateOptions): ResolvedSimulateOptions {
  const aging = o.agingPerSecond ?? DEFAULT_AGING_PER_SECOND;
  const every = o.sampleEveryMs ?? 0;
  const cap = o.maxRoundJobs ?? DEFAULT_MAX_ROUND_JOBS;
  if (!(Number.isFinite(aging) && aging >= 0)) {
    throw new RangeError(`simulate: agingPerSecond must be a number >= 0 (got ${aging})`);
  }
  if (!(Number.isFinite(every) && every >= 0)) {
    throw new RangeError(`simulate: sampleEveryMs must be a number >= 0 (got ${every})`);
  }
  if (!(Number.isSafeInteger(cap) && cap >= 1)) {
    throw new RangeError(`simulate: maxRoundJobs must be a positive integer (got ${cap})`);
  }
  return {
    agingPerSecond: aging,
    sampleEveryMs: every,
    maxRoundJobs: cap,
    nowEpochMs: o.nowEpochMs ?? Date.now(),
    pruneIdle: o.pruneIdle ?? true,
    replanAll: o.replanAll ?? false,
  };
}
