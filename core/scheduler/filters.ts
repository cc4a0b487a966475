/**
 * Feasibility filters: one-worker predicates that every strategy shares. A worker is *feasible*
 * for a task when it passes all of them, in this pipeline order:
 *
 *   pin → ready → cores → memory
 *
 * - The **pin** filter narrows the candidates to the pinned worker (and, with `coreIds`, to those
 *   exact cores); it is applied by the `pinned` choice, see choices.ts.
 * - **ready**, **cores** and **memory** are the {@link CAPACITY_FILTERS} below. When no worker is
 *   feasible, each worker is counted against the *first* filter it fails, and the counts become
 *   the reason (`notReady`, `fewerCores`, `lowMemory`).
 *
 * The fast planner never calls `check` per worker: its index holds only ready workers, bucketed
 * by free cores, with free memory as a max-tree, so the same predicates are answered in
 * O(log N). The reference scheduler in test/support calls `check` on every worker; both must
 * agree, which the property tests verify.
 */
import type { CAPACITY_COUNT_KEYS } from './reasons.js';

/** What a filter sees of one worker at one moment of planning. */
export interface WorkerState {
  /** Ready and well-formed. */
  readonly usable: boolean;
  readonly freeCores: number;
  readonly freeMemoryBytes: number;
}

/** What a task asks for. */
export interface Demand {
  readonly cores: number;
  readonly memoryBytes: number;
}

/** A one-worker predicate with the count key used to explain its rejections. */
export interface FeasibilityFilter {
  /** For docs and debugging. */
  readonly name: string;
  /** The key under which rejected workers are counted in {@link Unplaced.counts}. */
  readonly countKey: (typeof CAPACITY_COUNT_KEYS)[number];
  /** True when the worker passes. */
  check(worker: WorkerState, demand: Demand): boolean;
}

/** Not-ready (or malformed) workers never receive tasks. */
export const readyFilter: FeasibilityFilter = {
  name: 'ready',
  countKey: 'notReady',
  check: (worker) => worker.usable,
};

/** The worker must have at least as many free cores as the task needs. */
export const coresFilter: FeasibilityFilter = {
  name: 'cores',
  countKey: 'fewerCores',
  check: (worker, demand) => worker.freeCores >= demand.cores,
};

/** The worker must have at least as much free memory as the task reserves. */
export const memoryFilter: FeasibilityFilter = {
  name: 'memory',
  countKey: 'lowMemory',
  check: (worker, demand) => worker.freeMemoryBytes >= demand.memoryBytes,
};

/** The capacity filters in pipeline order; the order decides which filter a worker is counted under. */
export const CAPACITY_FILTERS: readonly FeasibilityFilter[] = [readyFilter, coresFilter, memoryFilter];

/** The first capacity filter the worker fails, or undefined when it is feasible. */
export function firstFailingFilter(worker: WorkerState, demand: Demand): FeasibilityFilter | undefined {
  return CAPACITY_FILTERS.find((filter) => !filter.check(worker, demand));
}
