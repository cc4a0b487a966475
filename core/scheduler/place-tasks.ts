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
  const sequence = new Int32Array(order.length);
  let placedCount = 0;
  const failed = new Uint8Array(batch.length);
  let blocker = -1;
  const taskOf = (j: number, ref: number): TaskRequest => batch[j]!.tasks[ref - taskOffset[j]!]!;

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
    const pinned = pinWorker[ref]!;
    const cores = taskCores[ref]!;
    const memory = taskMemory[ref]!;
    let failure: Unplaced;
    if (pinned >= 0) {
      const outcome = placePinned(
        index,
        facts.workers[pinned] as WorkerView,
        pinned,
        batch[j]!.jobId,
        taskOf(j, ref),
      );
      if (Array.isArray(outcome)) {
        placedCores[ref] = outcome;
        placedWorker[ref] = pinned;
        sequence[placedCount++] = ref;
        if (countGroups) groups.add(groupOfRef![ref]!, pinned);
        continue;
      }
      failure = outcome;
    } else if (groups === undefined) {
      const w = choice.pick(index, cores, memory);
      if (w >= 0) {
        placedCores[ref] = index.takeByRule(w, cores, memory);
        placedWorker[ref] = w;
        sequence[placedCount++] = ref;
        continue;
      }
      failure = noCapacity(
        batch[j]!.jobId,
        taskOf(j, ref).taskId,
        cores,
        memory,
        index.capacityCounts(cores),
      );
    } else {
      const group = groupOfRef![ref]!;
      // The avoid filter: the group's avoided workers are hidden while the choice picks.
      const avoided = groups.avoidedBy(group);
      let hidden = 0;
      if (avoided !== undefined) for (const a of avoided) if (index.hide(a)) hidden++;
      const w = choice.pick(index, cores, memory, countGroups ? groups.holdersOf(group) : undefined);
      let counts: CapacityCounts | undefined;
      if (w < 0) {
        counts = index.capacityCounts(cores);
        if (hidden > 0) counts.avoided = hidden;
      }
      if (avoided !== undefined) for (const a of avoided) index.unhide(a);
      if (w >= 0) {
        placedCores[ref] = index.takeByRule(w, cores, memory);
        placedWorker[ref] = w;
        sequence[placedCount++] = ref;
        if (countGroups) groups.add(group, w);
        continue;
      }
      failure = noCapacity(batch[j]!.jobId, taskOf(j, ref).taskId, cores, memory, counts!);
    }
    failures[j] = failure;
    failed[j] = 1;
    // Roll the job back: its tentative placements give their cores and memory back.
    for (let r = taskOffset[j]!; r < taskOffset[j + 1]!; r++) {
      const ids = placedCores[r];
      if (ids === undefined) continue;
      index.release(placedWorker[r]!, ids, taskMemory[r]!);
      if (countGroups) groups.remove(groupOfRef![r]!, placedWorker[r]!);
      placedCores[r] = undefined;
    }
    if (input.blocking && pinned < 0 && failure.code === 'NO_CAPACITY') blocker = j;
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
    const placement = byRef[sequence[i]!];
    if (placement !== undefined) placements[out++] = placement;
  }
  return placements;
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
