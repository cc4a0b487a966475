import type { TaskRef } from '../core/protocol/index.js';

// Small helpers the worker agent and its command runner share.

/** Just the attempt's ref, without whatever else the object carries (assignment, report). */
export function refOf(a: TaskRef): TaskRef {
  return { job: a.job, task: a.task, attempt: a.attempt };
}

/** A thrown value as a reason string. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
