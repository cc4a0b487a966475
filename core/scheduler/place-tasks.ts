/**
 * The placement loop: tries tasks in the strategy's order against the worker index, keeps every
 * job all-or-nothing by rolling it back on its first failing task, and explains each failure.
 *
 * Hot-path layout: task sizes, pins and job membership are read from typed arrays indexed by ref
 * (filled in one sequential pass beforehand), because the decreasing ordering visits tasks of
 * many jobs in random order and chasing job and task objects would stall on cache misses. The
 * `Placement` objects are created at the end, in one sequential pass over the batch.
 */
import type { Choice } from './choices.js';
import { effectivePriority } from './orderings.js';
import {
  noCapacity,
  noCapacityOnPinned,
  pinCoreBusy,
  priorityBlocked,
  type CapacityCounts,
} from './reasons.js';
import type { FleetFacts, PlanIndex } from './plan-index.js';
import type { PlanGroups } from './plan-groups.js';
import type { JobRequest, Placement, TaskRequest, Unplaced, WorkerView } from './types.js';

/** Everything the loop reads; refs index the typed arrays. */
export interface PlacementInput {
  readonly facts: FleetFacts;
  readonly batch: readonly JobRequest[];
  /** Refs in the order to try them. */
  readonly order: Int32Array;
  /** Ref of task t of job j is `taskOffset[j] + t`. */
  readonly taskOffset: Int32Array;
  readonly jobOfRef: Int32Array;
  /** Pinned worker index per ref, or -1. */
  readonly pinWorker: Int32Array;
  readonly taskCores: Float64Array;
  readonly taskMemory: Float64Array;
  readonly choice: Choice;
  /** Head-of-line blocking (the `priority` strategy). */
  readonly blocking: boolean;
  readonly nowMs: number;
  readonly agingPerSecond: number;
  /**
   * Group instances and avoided workers, with each ref's group; undefined when the choice reads
   * no groups and no group avoids a worker (then the loop never looks at groups).
   */
  readonly groups?: { readonly plan: PlanGroups; readonly ofRef: readonly string[] } | undefined;
}

/**
 * Places the ordered tasks on `index`, writing one {@link Unplaced} per failed job into
 * `failures` (indexed by job).
 * @returns the surviving placements, in the order they were decided
 */
export function placeTasks(
  input: PlacementInput,
  index: PlanIndex,
  failures: (Unplaced | undefined)[],
): Placement[] {
  const { facts, batch, order, taskOffset, jobOfRef, pinWorker, taskCores, taskMemory, choice } = input;
  const groups = input.groups?.plan;
  const groupOfRef = input.groups?.ofRef;
  const countGroups = groups !== undefined && choice.usesGroups;
  const refCount = taskOffset[batch.length]!;
  const placedCores = new Array<number[] | undefined>(refCount);
  const placedWorker = new Int32Array(refCount);
  // Refs in decision order; a ref rolled back and placed again on a second chance appears twice,
  // and only its last decision (decidedAt) counts.
  let sequence = new Int32Array(order.length);
  const decidedAt = new Int32Array(refCount);
  let placedCount = 0;
  const failed = new Uint8Array(batch.length);
  let blocker = -1;
  let retryable = 0;
  const taskOf = (j: number, ref: number): TaskRequest => batch[j]!.tasks[ref - taskOffset[j]!]!;

  /**
   * Tries one task on the plan overlay and records the placement.
   * @returns undefined when placed; else why not (the reason is built only when `explain`)
   */
  const tryTask = (ref: number, j: number, explain: boolean): Unplaced | undefined => {
    const pinned = pinWorker[ref]!;
    const cores = taskCores[ref]!;
    const memory = taskMemory[ref]!;
    let w = -1;
    let ids: number[] | undefined;
    let counts: CapacityCounts | undefined;
    if (pinned >= 0) {
      const outcome = placePinned(
        index,
        facts.workers[pinned] as WorkerView,
        pinned,
        batch[j]!.jobId,
        taskOf(j, ref),
      );
      if (!Array.isArray(outcome)) return outcome;
      w = pinned;
      ids = outcome;
    } else if (groups === undefined) {
      w = choice.pick(index, cores, memory);
      if (w >= 0) ids = index.takeByRule(w, cores, memory);
      else if (explain) counts = index.capacityCounts(cores);
    } else {
      const group = groupOfRef![ref]!;
      // The avoid filter: the group's avoided workers are hidden while the choice picks.
      const avoided = groups.avoidedBy(group);
      let hidden = 0;
      if (avoided !== undefined) for (const a of avoided) if (index.hide(a)) hidden++;
      w = choice.pick(index, cores, memory, countGroups ? groups.holdersOf(group) : undefined);
      if (w < 0 && explain) {
        counts = index.capacityCounts(cores);
        if (hidden > 0) counts.avoided = hidden;
      }
      if (avoided !== undefined) for (const a of avoided) index.unhide(a);
      if (w >= 0) ids = index.takeByRule(w, cores, memory);
    }
    if (ids === undefined) {
      return explain
        ? noCapacity(batch[j]!.jobId, taskOf(j, ref).taskId, cores, memory, counts!)
        : NOT_PLACED;
    }
    placedCores[ref] = ids;
    placedWorker[ref] = w;
    if (placedCount === sequence.length) {
      const grown = new Int32Array(sequence.length * 2);
      grown.set(sequence);
      sequence = grown;
    }
    decidedAt[ref] = placedCount;
    sequence[placedCount++] = ref;
    if (countGroups) groups.add(groupOfRef![ref]!, w);
    return undefined;
  };

  /** Rolls job j back: its tentative placements give their cores and memory back. */
  const rollBack = (j: number): void => {
    for (let r = taskOffset[j]!; r < taskOffset[j + 1]!; r++) {
      const ids = placedCores[r];
      if (ids === undefined) continue;
      index.release(placedWorker[r]!, ids, taskMemory[r]!);
      if (countGroups) groups.remove(groupOfRef![r]!, placedWorker[r]!);
      placedCores[r] = undefined;
    }
  };

  for (let s = 0; s < order.length; s++) {
    const ref = order[s]!;
    const j = jobOfRef[ref]!;
    if (failed[j] === 1) continue;
    if (blocker >= 0) {
      const blocking = batch[blocker]!;
      const priority = effectivePriority(blocking, input.nowMs, input.agingPerSecond);
      failures[j] = priorityBlocked(batch[j]!.jobId, blocking.jobId, priority);
      failed[j] = 1;
      continue;
    }
    const failure = tryTask(ref, j, true);
    if (failure === undefined) continue;
    failed[j] = 1;
    rollBack(j);
    failures[j] = failure;
    retryable++;
    if (input.blocking && pinWorker[ref]! < 0 && failure.code === 'NO_CAPACITY') blocker = j;
  }

  // Second chances (every strategy without head-of-line blocking): a failed job may have failed
  // only because of tentative placements of jobs rolled back later (the decreasing orderings
  // interleave jobs). Each such job is tried again alone, its tasks in the strategy's order, on
  // what the plan leaves free; passes repeat until one places nothing, so at the end no job is
  // left out that this placement would fit alone into the free capacity.
  if (!input.blocking && retryable > 0) {
    const jobRefs = refsByJob(order, jobOfRef, failed, failures, batch.length);
    for (let placedAny = true; placedAny;) {
      placedAny = false;
      for (let j = 0; j < batch.length; j++) {
        if (failed[j] === 0 || failures[j]!.neverFits || failures[j]!.code === 'PRIORITY_BLOCKED') continue;
        let ok = true;
        for (let i = jobRefs.start[j]!; i < jobRefs.start[j + 1]! && ok; i++) {
          ok = tryTask(jobRefs.refs[i]!, j, false) === undefined;
        }
        if (!ok) {
          rollBack(j);
          continue;
        }
        failed[j] = 0;
        failures[j] = undefined;
        placedAny = true;
      }
    }
  }

  // Materialise the surviving placements in one sequential pass over the batch (visiting jobs in
  // decision order would stall on cache misses under the decreasing ordering), then list them in
  // decision order in an array of the exact size.
  const byRef = new Array<Placement | undefined>(refCount);
  let surviving = 0;
  for (let j = 0; j < batch.length; j++) {
    if (failed[j] === 1 || failures[j] !== undefined) continue;
    const { jobId, tasks } = batch[j]!;
    for (let t = 0; t < tasks.length; t++) {
      const ref = taskOffset[j]! + t;
      const coreIds = placedCores[ref];
      if (coreIds === undefined) continue;
      const task = tasks[t]!;
      const workerId = facts.workerIds[placedWorker[ref]!]!;
      byRef[ref] = { jobId, taskId: task.taskId, workerId, coreIds, memoryBytes: task.memoryBytes };
      surviving++;
    }
  }
  const placements = new Array<Placement>(surviving);
  for (let i = 0, out = 0; i < placedCount; i++) {
    const ref = sequence[i]!;
    const placement = byRef[ref];
    if (placement !== undefined && decidedAt[ref] === i) placements[out++] = placement;
  }
  return placements;
}

/** What `tryTask` returns for a failure it was not asked to explain. */
const NOT_PLACED: Unplaced = Object.freeze({
  jobId: '',
  code: 'NO_CAPACITY',
  reason: '',
  counts: {},
  neverFits: false,
});

/**
 * The refs of each failed job, in the strategy's order (the order restricted to one job is the
 * order the strategy gives that job alone): `refs[start[j] .. start[j + 1]]`.
 */
function refsByJob(
  order: Int32Array,
  jobOfRef: Int32Array,
  failed: Uint8Array,
  failures: readonly (Unplaced | undefined)[],
  jobCount: number,
): { refs: Int32Array; start: Int32Array } {
  const start = new Int32Array(jobCount + 1);
  const wanted = (j: number): boolean => failed[j] === 1 && failures[j]?.neverFits === false;
  for (let s = 0; s < order.length; s++) {
    const j = jobOfRef[order[s]!]!;
    if (wanted(j)) start[j + 1]!++;
  }
  for (let j = 0; j < jobCount; j++) start[j + 1]! += start[j]!;
  const fill = start.slice(0, jobCount);
  const refs = new Int32Array(start[jobCount]!);
  for (let s = 0; s < order.length; s++) {
    const ref = order[s]!;
    const j = jobOfRef[ref]!;
    if (wanted(j)) refs[fill[j]!++] = ref;
  }
  return { refs, start };
}

/**
 * Places a task pinned to usable worker w (pre-checks passed): its explicit cores must all be free
 * now, else PIN_CORE_CONFLICT; then memory (and, without explicit cores, the free core count) must
 * fit, else NO_CAPACITY.
 * @returns the core ids taken, or why not
 */
function placePinned(
  index: PlanIndex,
  view: WorkerView,
  w: number,
  jobId: string,
  task: TaskRequest,
): number[] | Unplaced {
  const { taskId, cores, memoryBytes } = task;
  const explicit = task.pin?.coreIds;
  const freeMemory = index.freeMemoryOf(w);
  const freeCores = index.freeCoresOf(w);
  if (explicit === undefined) {
    if (freeCores < cores || freeMemory < memoryBytes) {
      return noCapacityOnPinned(jobId, taskId, cores, memoryBytes, view.id, freeCores, freeMemory);
    }
    return index.takeByRule(w, cores, memoryBytes);
  }
  if (explicit.some((id) => !index.isFree(w, id))) {
    const pinnedIds = [...explicit].sort((a, b) => a - b);
    const notFree = pinnedIds.filter((id) => !index.isFree(w, id));
    return pinCoreBusy(
      jobId,
      taskId,
      view.id,
      pinnedIds,
      notFree.filter((id) => !index.wasFreeBeforePlan(w, id)),
      notFree.filter((id) => index.wasFreeBeforePlan(w, id)),
    );
  }
  if (freeMemory < memoryBytes) {
    return noCapacityOnPinned(jobId, taskId, cores, memoryBytes, view.id, freeCores, freeMemory);
  }
  return index.takeExact(w, explicit, memoryBytes);
}
