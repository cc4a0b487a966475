/**
 * What the planning steps (pre-checks, choices, the placement loop) read, as two interfaces, so
 * the same code plans on a per-call index ({@link SnapshotFacts} + {@link WorkerIndex}, built from
 * a snapshot) and on the {@link LiveIndex} that lives across rounds. A worker is a number `w` in
 * both: a position in the snapshot, or a slot of the live index.
 */
import type { WorkerShape } from './gang-fit.js';
import type { CapacityCounts, TotalCounts } from './reasons.js';
import type { WorkerView } from './types.js';

/** Facts about the fleet that do not change while one plan is computed. */
export interface FleetFacts {
  /** The view of each worker by number; a number that holds no worker has none. */
  readonly workers: readonly (WorkerView | undefined)[];
  /** Each well-formed worker's id by number. */
  readonly workerIds: readonly (string | undefined)[];
  /** 1 when the worker's view is well-formed (and, in a snapshot, its id is not a repeat). */
  readonly wellFormed: Uint8Array;
  /** 1 when well-formed and ready: the only workers that can receive tasks. */
  readonly usable: Uint8Array;
  /** The worker with this id (in a snapshot, its first view), or -1. */
  indexOf(workerId: string): number;
  /**
   * True when some well-formed worker (ready or not) has at least `cores` cores and `memoryBytes`
   * bytes in total, or when no worker is well-formed (then nothing can be concluded).
   */
  fitsSomeWorker(cores: number, memoryBytes: number): boolean;
  /** Why a task fits no worker in total; meaningful only when {@link fitsSomeWorker} is false. */
  totalCounts(cores: number): TotalCounts;
  /**
   * The well-formed workers (ready or not) grouped by shape (total cores, total memory), sorted by
   * `sortShapes`: what a gang is checked against (`gangFit`). Computed on first use per plan (a
   * snapshot) or kept until a worker's totals change (the live index).
   */
  workerShapes(): readonly WorkerShape[];
}

/**
 * The plan overlay (free cores and memory of every usable worker, minus the tentative placements
 * so far) and the queries the choices make on it. Tie-breaks go to the worker that comes first in
 * snapshot order (ids ascending, for the live index).
 */
export interface PlanIndex {
  /** Fewest free cores ≥ `cores` among workers with ≥ `memory` free; -1 if none. */
  bestFit(cores: number, memory: number): number;
  /** Most free cores ≥ `cores` among workers with ≥ `memory` free; -1 if none. */
  worstFit(cores: number, memory: number): number;
  /** First worker in snapshot order with ≥ `cores` free cores and ≥ `memory` free; -1 if none. */
  firstFit(cores: number, memory: number): number;
  /** Takes `k` cores by the core rule and `memory` bytes on worker w; the caller checked they fit. */
  takeByRule(w: number, k: number, memory: number): number[];
  /** Takes exactly `ids` and `memory` bytes on worker w; the caller checked they are free. */
  takeExact(w: number, ids: readonly number[], memory: number): number[];
  /** Gives back cores and memory taken earlier on worker w (rollback). */
  release(w: number, ids: readonly number[], memory: number): void;
  /** Why no usable, unhidden worker fits `cores` (see `noCapacity`); hidden ones are not counted. */
  capacityCounts(cores: number): CapacityCounts;
  /** Free cores of usable worker w now. */
  freeCoresOf(w: number): number;
  /** Free memory of usable worker w now. */
  freeMemoryOf(w: number): number;
  /** True when core `id` of usable worker w is free now. */
  isFree(w: number, id: number): boolean;
  /** True when core `id` of usable worker w was free before this plan took anything. */
  wasFreeBeforePlan(w: number, id: number): boolean;
  /**
   * Leaves usable worker w out of every choice query (and out of `capacityCounts`) until
   * {@link unhide}; the spread choice and the avoid filter use it for one task at a time.
   * @returns false (and does nothing) when w is not usable or already hidden
   */
  hide(w: number): boolean;
  /** Puts back a worker {@link hide} took out; its free cores must not have changed meanwhile. */
  unhide(w: number): void;
  /** True when usable worker w is not hidden and has ≥ `cores` free cores and ≥ `memory` free. */
  fits(w: number, cores: number, memory: number): boolean;
  /** Worker w's position in snapshot order (ids ascending, for the live index): the tie-break. */
  rank(w: number): number;
}
