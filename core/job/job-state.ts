/**
 * Job and task state machines. States only move forward; the rank order below is the rule.
 *
 * Task: pending → scheduled → starting → running → finished | failed | cancelled | lost.
 * A task may skip forward (pending → cancelled; starting → failed) but never go back. A task of
 * a re-queued job is a new attempt (attempt + 1) that starts again at `pending`; the attempt
 * number, not the state, moves backward-looking history forward.
 *
 * Job: waiting → scheduled → running → finished | failed | cancelled.
 *
 * The original system knew `Ready`, `Deployed` and `Down`; {@link toOriginalStatus} maps ours onto
 * them so its clients and notebooks keep working.
 */

/** States of a task, in forward order. */
export const TASK_STATES = [
  'pending',
  'scheduled',
  'starting',
  'running',
  'finished',
  'failed',
  'cancelled',
  'lost',
] as const;
/** A task's state. */
export type TaskState = (typeof TASK_STATES)[number];

/** States of a job, in forward order. */
export const JOB_STATES = ['waiting', 'scheduled', 'running', 'finished', 'failed', 'cancelled'] as const;
/** A job's state. */
export type JobState = (typeof JOB_STATES)[number];

/** The original RESTfulSwarm statuses. */
export type OriginalStatus = 'Ready' | 'Deployed' | 'Down';

const TASK_TERMINAL: ReadonlySet<TaskState> = new Set(['finished', 'failed', 'cancelled', 'lost']);
const JOB_TERMINAL: ReadonlySet<JobState> = new Set(['finished', 'failed', 'cancelled']);

/** True for states a task never leaves. */
export function isTerminalTaskState(s: TaskState): boolean {
  return TASK_TERMINAL.has(s);
}

/** True for states a job never leaves. */
export function isTerminalJobState(s: JobState): boolean {
  return JOB_TERMINAL.has(s);
}

/** True when a task may move from `from` to `to`: strictly forward, and never out of an end state. */
export function canTaskTransition(from: TaskState, to: TaskState): boolean {
  if (TASK_TERMINAL.has(from)) return false;
  return TASK_STATES.indexOf(to) > TASK_STATES.indexOf(from);
}

/** True when a job may move from `from` to `to`: strictly forward, and never out of an end state. */
export function canJobTransition(from: JobState, to: JobState): boolean {
  if (JOB_TERMINAL.has(from)) return false;
  return JOB_STATES.indexOf(to) > JOB_STATES.indexOf(from);
}

/** The original's status for one of our states: Ready (not yet placed), Deployed, Down (ended). */
export function toOriginalStatus(s: TaskState | JobState): OriginalStatus {
  switch (s) {
    case 'pending':
    case 'waiting':
      return 'Ready';
    case 'scheduled':
    case 'starting':
    case 'running':
      return 'Deployed';
    default:
      return 'Down';
  }
}

/**
 * A job's state derived from its tasks: finished when all finished, failed when any failed or
 * was lost without recovery, cancelled when any was cancelled, running once any runs.
 */
export function deriveJobState(tasks: readonly TaskState[]): JobState {
  if (tasks.length === 0) return 'waiting';
  if (tasks.every((t) => TASK_TERMINAL.has(t))) {
    if (tasks.some((t) => t === 'cancelled')) return 'cancelled';
    if (tasks.some((t) => t === 'failed' || t === 'lost')) return 'failed';
    return 'finished';
  }
  if (tasks.some((t) => t === 'running' || TASK_TERMINAL.has(t))) return 'running';
  if (tasks.every((t) => t === 'pending')) return 'waiting';
  return 'scheduled';
}
