/**
 * Orderings: the sequence in which the tasks of a batch are considered. Tasks are named by a
 * *ref*: `taskOffset[job] + position in the job`.
 *
 * - **as-submitted**: jobs in the order given; within a job, tasks in the order given.
 * - **decreasing**: the whole batch's tasks by size, largest first: cores descending, then memory
 *   descending, ties in as-submitted order (stable). Tasks of different jobs interleave.
 * - **priority-aged**: jobs by effective priority descending (see {@link effectivePriority}),
 *   ties by earlier `submittedAtMs`, then by `jobId` (code-unit order); within a job, as given.
 *
 * In every ordering, tasks pinned to explicit core ids come first *within their job* (and, in
 * decreasing order, before all unpinned-core tasks of the batch). Otherwise a job's own task could
 * take, by the core rule, a core that a later task of the same job pins, and the job would fail
 * against itself on every retry.
 */
import type { JobRequest } from './types.js';

/** The names of the orderings. */
export type OrderingName = 'as-submitted' | 'decreasing' | 'priority-aged';

/** What an ordering sees of the batch. Only jobs that passed the pre-checks are listed. */
export interface OrderingInput {
  readonly jobs: readonly JobRequest[];
  /** Indices into `jobs` of the jobs to order, ascending. */
  readonly eligible: readonly number[];
  /** Ref of task t of job j is `taskOffset[j] + t`. */
  readonly taskOffset: Int32Array;
  /** 1 for refs whose task pins explicit core ids. */
  readonly explicitCores: Uint8Array;
  /** Cores and memory per ref. */
  readonly taskCores: Float64Array;
  readonly taskMemory: Float64Array;
  readonly nowMs: number;
  readonly agingPerSecond: number;
}

/** Produces the refs of all tasks of the eligible jobs, in the order they are to be placed. */
export type Ordering = (input: OrderingInput) => Int32Array;

/**
 * A job's effective priority: `priority + agingPerSecond × seconds waited`, where the wait is
 * `max(0, nowMs − submittedAtMs) / 1000`. Two jobs' difference never changes over time, so a job
 * submitted w seconds after another ranks below it once `w × aging` exceeds their priority gap:
 * this bounds how many later jobs can ever overtake it.
 */
export function effectivePriority(job: JobRequest, nowMs: number, agingPerSecond: number): number {
  return job.priority + agingPerSecond * (Math.max(0, nowMs - job.submittedAtMs) / 1000);
}

/** Appends job j's refs to `out` at `at`, explicit-core tasks first; returns the new end. */
function appendJob(input: OrderingInput, j: number, out: Int32Array, at: number): number {
  const start = input.taskOffset[j]!;
  const end = input.taskOffset[j + 1]!;
  for (let ref = start; ref < end; ref++) if (input.explicitCores[ref] === 1) out[at++] = ref;
  for (let ref = start; ref < end; ref++) if (input.explicitCores[ref] === 0) out[at++] = ref;
  return at;
}

function taskCount(input: OrderingInput): number {
  let count = 0;
  for (const j of input.eligible) count += input.taskOffset[j + 1]! - input.taskOffset[j]!;
  return count;
}

function inJobOrder(input: OrderingInput, jobOrder: readonly number[]): Int32Array {
  const out = new Int32Array(taskCount(input));
  let at = 0;
  for (const j of jobOrder) at = appendJob(input, j, out, at);
  return out;
}

/** Jobs as given, tasks as given (explicit-core tasks first within a job). */
export const asSubmitted: Ordering = (input) => inJobOrder(input, input.eligible);

/** Index of `value` in the ascending, distinct `sorted`, which must contain it. */
function rankOf(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The whole batch's tasks, explicit-core tasks first, then cores desc, memory desc, then ref asc
 * (submission order, so the sort is stable).
 *
 * The four keys are packed into one exact integer per task (memory as its rank among the batch's
 * distinct sizes, the ref in the low bits) and sorted with the native numeric sort, several times
 * faster than a comparator on 100k tasks. If the packed key could exceed 2^53, a comparator sort
 * gives the same order.
 */
export const decreasing: Ordering = (input) => {
  const { explicitCores, taskCores, taskMemory, taskOffset } = input;
  const refs = new Int32Array(taskCount(input));
  let at = 0;
  let maxCores = 0;
  for (const j of input.eligible) {
    for (let ref = taskOffset[j]!; ref < taskOffset[j + 1]!; ref++) {
      refs[at++] = ref;
      if (taskCores[ref]! > maxCores) maxCores = taskCores[ref]!;
    }
  }
  const sizes = new Float64Array(refs.length);
  for (let i = 0; i < refs.length; i++) sizes[i] = taskMemory[refs[i]!]!;
  sizes.sort();
  let distinct = 0;
  for (let i = 0; i < sizes.length; i++)
    if (i === 0 || sizes[i] !== sizes[i - 1]) sizes[distinct++] = sizes[i]!;
  const memorySizes = sizes.subarray(0, distinct);

  let refSpan = 1;
  while (refSpan <= taskOffset[taskOffset.length - 1]!) refSpan *= 2;
  if (2 * (maxCores + 1) * Math.max(distinct, 1) * refSpan > Number.MAX_SAFE_INTEGER) {
    return refs.sort(
      (a, b) =>
        explicitCores[b]! - explicitCores[a]! ||
        taskCores[b]! - taskCores[a]! ||
        taskMemory[b]! - taskMemory[a]! ||
        a - b,
    );
  }
  const keys = new Float64Array(refs.length);
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    const group = explicitCores[ref] === 1 ? 0 : 1;
    const primary = group * (maxCores + 1) + (maxCores - taskCores[ref]!);
    const memoryRank = distinct - 1 - rankOf(memorySizes, taskMemory[ref]!);
    keys[i] = (primary * distinct + memoryRank) * refSpan + ref;
  }
  keys.sort();
  for (let i = 0; i < keys.length; i++) refs[i] = keys[i]! % refSpan;
  return refs;
};

/** Jobs by effective priority desc, then submittedAtMs asc, then jobId; tasks as given. */
export const priorityAged: Ordering = (input) => {
  const { jobs, nowMs, agingPerSecond } = input;
  const effective = new Float64Array(jobs.length);
  for (const j of input.eligible)
    effective[j] = effectivePriority(jobs[j] as JobRequest, nowMs, agingPerSecond);
  // Comparisons, not subtraction: differences of huge finite values could overflow to NaN.
  const order = [...input.eligible].sort((a, b) => {
    const ea = effective[a]!;
    const eb = effective[b]!;
    if (ea !== eb) return ea > eb ? -1 : 1;
    const ja = jobs[a] as JobRequest;
    const jb = jobs[b] as JobRequest;
    if (ja.submittedAtMs !== jb.submittedAtMs) return ja.submittedAtMs < jb.submittedAtMs ? -1 : 1;
    return ja.jobId < jb.jobId ? -1 : ja.jobId > jb.jobId ? 1 : 0;
  });
  return inJobOrder(input, order);
};

/** Every ordering by name. */
export const ORDERINGS: Readonly<Record<OrderingName, Ordering>> = {
  'as-submitted': asSubmitted,
  decreasing,
  'priority-aged': priorityAged,
};
