/**
 * Shape validation of one job of a batch, before anything touches the snapshot. A malformed job
 * becomes an `INVALID_REQUEST` (or `JOB_EMPTY`) entry; it never throws and never reaches the
 * planner. Requests are typed, but they come from the network through a store, so the checks do
 * not trust the types.
 *
 * Checks, in this order; the first failure is reported:
 *  1. the job is an object; `jobId` is a non-empty string, not used by an earlier job of the batch;
 *  2. `priority` and `submittedAtMs` are finite numbers; `tasks` is an array, and not empty;
 *  3. for each task in order: an object; `taskId` a non-empty string, unique in the job; `cores` a
 *     positive safe integer; `memoryBytes` a safe integer ≥ 0; `group`, when present, a non-empty
 *     string; `pin`, when present, an object with
 *     a string `workerId` and, when present, `coreIds`: distinct safe integers ≥ 0, as many as
 *     `cores`.
 */
import { INVALID, invalidRequest, jobEmpty } from './reasons.js';
import type { Unplaced } from './types.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** True for distinct safe integers ≥ 0. */
function isCoreIdList(value: unknown): value is readonly number[] {
  if (!Array.isArray(value)) return false;
  const seen = new Set<number>();
  for (const id of value as readonly unknown[]) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/** The first problem with one task, or undefined. */
function taskProblem(task: Record<string, unknown>): string | undefined {
  const { cores, memoryBytes, pin, group } = task;
  if (typeof cores !== 'number' || !Number.isSafeInteger(cores) || cores < 1) return INVALID.cores(cores);
  if (typeof memoryBytes !== 'number' || !Number.isSafeInteger(memoryBytes) || memoryBytes < 0) {
    return INVALID.memoryBytes(memoryBytes);
  }
  if (group !== undefined && !isNonEmptyString(group)) return INVALID.group(group);
  if (pin === undefined) return undefined;
  if (!isObject(pin) || typeof pin['workerId'] !== 'string') return INVALID.pin(pin);
  const coreIds = pin['coreIds'];
  if (coreIds === undefined) return undefined;
  if (!isCoreIdList(coreIds)) return INVALID.pinCoreIds(coreIds);
  if (coreIds.length !== cores) return INVALID.pinCoreCount(coreIds.length, cores);
  return undefined;
}

/**
 * Validates the shape of `jobs[position]`. Allocation-free on the valid path: it runs once per
 * job of every batch.
 * @param seenJobIds ids of earlier jobs in the batch; this job's id is added when it is readable
 * @returns the reason the job is malformed or empty, or undefined
 */
export function validateJob(job: unknown, position: number, seenJobIds: Set<string>): Unplaced | undefined {
  if (!isObject(job)) return invalidRequest(`jobs[${position}]`, undefined, INVALID.jobNotObject(position));
  const { jobId, priority, submittedAtMs, tasks } = job;
  if (!isNonEmptyString(jobId)) return invalidRequest(`jobs[${position}]`, undefined, INVALID.jobId(jobId));
  if (seenJobIds.has(jobId)) return invalidRequest(jobId, undefined, INVALID.duplicateJobId);
  seenJobIds.add(jobId);
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    return invalidRequest(jobId, undefined, INVALID.priority(priority));
  }
  if (typeof submittedAtMs !== 'number' || !Number.isFinite(submittedAtMs)) {
    return invalidRequest(jobId, undefined, INVALID.submittedAtMs(submittedAtMs));
  }
  if (!Array.isArray(tasks)) return invalidRequest(jobId, undefined, INVALID.tasks(tasks));
  if (tasks.length === 0) return jobEmpty(jobId);

  // Small jobs (the common case) look for a repeated taskId by a scan; large ones use a Set.
  const seenTaskIds = tasks.length > SCAN_LIMIT ? new Set<string>() : undefined;
  for (let t = 0; t < tasks.length; t++) {
    const task: unknown = tasks[t];
    if (!isObject(task)) return invalidRequest(jobId, undefined, INVALID.taskNotObject(t));
    const taskId = task['taskId'];
    if (!isNonEmptyString(taskId)) return invalidRequest(jobId, undefined, INVALID.taskId(t, taskId));
    if (seenTaskIds === undefined ? repeatsEarlierTaskId(tasks, t, taskId) : seenTaskIds.has(taskId)) {
      return invalidRequest(jobId, taskId, INVALID.duplicateTaskId);
    }
    seenTaskIds?.add(taskId);
    const problem = taskProblem(task);
    if (problem !== undefined) return invalidRequest(jobId, taskId, problem);
  }
  return undefined;
}

/** Up to this many tasks, duplicate task ids are found by scanning instead of a Set. */
const SCAN_LIMIT = 16;

/** True when a task before position t has this taskId (those tasks were already checked). */
function repeatsEarlierTaskId(tasks: readonly unknown[], t: number, taskId: string): boolean {
  for (let s = 0; s < t; s++) if ((tasks[s] as Record<string, unknown>)['taskId'] === taskId) return true;
  return false;
}
