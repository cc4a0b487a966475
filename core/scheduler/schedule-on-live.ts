/**
 * `scheduleOnLive`: {@link schedule} on the {@link LiveIndex} instead of a snapshot. The same
 * steps run on the index kept across rounds; the plan's tentative placements change it while the
 * plan is made and are all undone before this returns, so the index stays what its owner last
 * told it. Still pure in the sense that matters: no I/O, no clock, no randomness, and the plan is
 * exactly `schedule(live.snapshot(version), jobs, strategy, options)`.
 */
import type { LiveIndex } from './live-index.js';
import { planBatch } from './schedule.js';
import { getStrategy, type Strategy } from './strategy-registry.js';
import type { JobRequest, Plan, ScheduleOptions } from './types.js';

/** {@link ScheduleOptions} plus the version a snapshot would have carried. */
export interface LiveScheduleOptions extends ScheduleOptions {
  /** Copied into {@link Plan.snapshotVersion}. */
  readonly snapshotVersion: number;
}

/**
 * Plans a batch of jobs on the live index. Costs O(placements × log N) plus the validation and
 * ordering of the batch, whatever the fleet size (and, once after a worker with an id that does
 * not sort last has joined, an O(N log N) re-rank).
 * @throws as {@link schedule}
 */
export function scheduleOnLive(
  live: LiveIndex,
  jobs: readonly JobRequest[],
  strategy: Strategy | string,
  options: LiveScheduleOptions,
): Plan {
  const spec = typeof strategy === 'string' ? getStrategy(strategy) : strategy;
  live.beginPlan();
  try {
    return planBatch(live.facts, options.snapshotVersion, jobs, spec, options, () => live);
  } finally {
    live.endPlan();
  }
}
