/**
 * Permanent start failures: a task whose container can never start as submitted (its image does
 * not exist and cannot be pulled, the engine refuses its configuration, its command is not in the
 * image). A worker reports them with {@link PERMANENT_START_FAILURE} at the end of the reason,
 * and the JobManager fails the job with that reason instead of re-queueing it under its restart
 * policy: another attempt would fail the same way, at full speed (before: 100 attempts in 6 s
 * for `maxAttempts: 100`). The marker is a suffix so the reason still opens with the engine's
 * or the worker's own sentence.
 */
export const PERMANENT_START_FAILURE = ' (permanent start error: not retried)';

/** Longest reason a report carries (the protocol's limit). */
const MAX_REASON_LENGTH = 4096;

/** The reason a worker reports for a permanent start failure described by `reason`. */
export function permanentStartFailure(reason: string): string {
  if (isPermanentStartFailure(reason)) return reason;
  return reason.slice(0, MAX_REASON_LENGTH - PERMANENT_START_FAILURE.length) + PERMANENT_START_FAILURE;
}

/** True when a task failure reason (as reported, or as the JobManager words it) is a permanent start failure. */
export function isPermanentStartFailure(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && reason.endsWith(PERMANENT_START_FAILURE);
}
