/**
 * The scheduling core: a pure function from a cluster snapshot and a batch of jobs to a plan.
 * This is the public surface; everything else in the folder is an implementation detail (the
 * benchmark and tests reach into it on purpose).
 *
 * @see docs/design/scheduler.md
 */
export * from './types.js';
export { schedule } from './schedule.js';
export { scheduleOnLive, type LiveScheduleOptions } from './schedule-on-live.js';
export { LiveIndex } from './live-index.js';
export {
  STRATEGY_NAMES,
  getStrategy,
  isStrategyName,
  type Strategy,
  type StrategyName,
} from './strategy-registry.js';
export { effectivePriority, type OrderingName } from './orderings.js';
export type { ChoiceName } from './choices.js';
export { cpusetString } from './cpuset-string.js';
export { formatBytes } from './reasons.js';
