/**
 * Why a job failed, as a stable code next to its readable `failureReason`, so a script can branch
 * on it without parsing sentences. The scheduler's codes name jobs that can never be placed on
 * this fleet; the others name what ended a placed attempt with no retry left.
 */
export const FAILURE_CODES = [
  /** A task needs more cores or memory than any worker has in total. */
  'NEVER_FITS',
  /** The tasks can never run together, even with every core of the fleet free. */
  'GANG_NEVER_FITS',
  /** A task pins cores its worker does not have. */
  'PIN_CORE_OUT_OF_RANGE',
  /** Two tasks of the job pin the same core of one worker. */
  'PIN_CORE_CONFLICT',
  /** The job's request is invalid for the scheduler (it passed the API's validation). */
  'INVALID_REQUEST',
  /** The job has no tasks. */
  'JOB_EMPTY',
  /** A task failed (exit code, signal, memory limit, deadline) and the restart policy is spent. */
  'TASK_FAILED',
  /** A task's container can never start as submitted (image, configuration, command). */
  'START_FAILED',
  /** A worker running a task was lost (or came back without the task's cores or memory). */
  'WORKER_LOST',
  /** A worker running a task was removed from the cluster. */
  'WORKER_REMOVED',
] as const;

/** One of {@link FAILURE_CODES}. */
export type FailureCode = (typeof FAILURE_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(FAILURE_CODES);

/** The failure code for a scheduler code that failed a job (`neverFits`), or null if it is not one. */
export function failureCodeOfUnplaced(code: string | undefined): FailureCode | null {
  return code !== undefined && KNOWN.has(code) ? (code as FailureCode) : null;
}
