import type { FailureCode } from '../job/failure-code.js';
import type { JobSpec } from '../job/job-model.js';
import {
  canTaskTransition,
  isTerminalJobState,
  isTerminalTaskState,
  type TaskState,
} from '../job/job-state.js';
import type { JobRecord, TaskRecord } from '../model/records.js';

/**
 * Pure transitions of a stored job. Each returns a new record (never mutates) so callers can
 * commit it with a conditional write and retry on conflict by recomputing from a fresh read.
 */

/** The stored record of a freshly accepted job. */
export function newJobRecord(spec: JobSpec, now: number): JobRecord {
  return {
    name: spec.name,
    spec,
    state: 'waiting',
    attempt: 0,
    priority: spec.priority,
    submittedAt: now,
    scheduledAt: null,
    startedAt: null,
    finishedAt: null,
    unplacedReason: null,
    failureReason: null,
    cancelRequested: false,
    tasks: spec.tasks.map((t) => freshTask(t.name, t.cores, t.memoryBytes)),
    version: 1,
  };
}

function freshTask(name: string, cores: number, memoryBytes: number): TaskRecord {
  return {
    name,
    cores,
    memoryBytes,
    state: 'pending',
    workerId: null,
    coreIds: [],
    exitCode: null,
    reason: null,
    startedAt: null,
    finishedAt: null,
  };
}

/** One task's placement, as the plan applier commits it. */
export interface TaskPlacement {
  readonly task: string;
  readonly workerId: string;
  readonly coreIds: readonly number[];
}

/** A waiting job becomes scheduled with every task placed. */
export function claimJob(job: JobRecord, placements: readonly TaskPlacement[], now: number): JobRecord {
  const byTask = new Map(placements.map((p) => [p.task, p]));
  return {
    ...job,
    state: 'scheduled',
    scheduledAt: now,
    unplacedReason: null,
    tasks: job.tasks.map((t) => {
      const p = byTask.get(t.name);
      if (!p) throw new Error(`claimJob: task ${job.name}/${t.name} has no placement`);
      return { ...t, state: 'scheduled', workerId: p.workerId, coreIds: [...p.coreIds] };
    }),
  };
}

/** What a worker said about one task of the job's current attempt. */
export interface TaskReport {
  readonly task: string;
  readonly state: 'starting' | 'running' | 'finished' | 'failed' | 'cancelled';
  readonly exitCode: number | null;
  readonly reason: string | null;
  readonly at: number;
  /** With `running`: the image the container runs, by digest. */
  readonly imageDigest?: string | undefined;
}

/** The outcome of applying reports: the new record and the tasks that ended (to free). */
export interface ReportOutcome {
  readonly job: JobRecord;
  readonly changed: boolean;
  /** Tasks that reached an end state with these reports, with where they were booked. */
  readonly ended: readonly TaskRecord[];
  /** The first task failure among these reports, if any. */
  readonly failure: { readonly task: string; readonly reason: string } | null;
}

function reportedState(job: JobRecord, r: TaskReport): TaskState {
  // A stop the client did not ask for (e.g. the worker was told the task is no longer wanted)
  // is a failure of this attempt, not a cancellation.
  if (r.state === 'cancelled' && !job.cancelRequested) return 'failed';
  return r.state;
}

/** Applies reports of the job's current attempt; states only move forward. */
export function applyReports(job: JobRecord, reports: readonly TaskReport[]): ReportOutcome {
  const tasks = new Map(job.tasks.map((t) => [t.name, t]));
  const ended: TaskRecord[] = [];
  let failure: ReportOutcome['failure'] = null;
  let changed = false;
  let startedAt = job.startedAt;
  for (const r of [...reports].sort((a, b) => a.at - b.at)) {
    let t = tasks.get(r.task);
    if (!t) continue;
    if (r.state === 'running' && t.moving) {
      // A migration's target runs the task: the move is complete (the state itself stays running).
      t = { ...t, moving: null };
      tasks.set(r.task, t);
      changed = true;
    }
    const next = reportedState(job, r);
    if (!canTaskTransition(t.state, next)) continue;
    const updated: TaskRecord = {
      ...t,
      state: next,
      exitCode: r.exitCode ?? t.exitCode,
      reason: r.reason ?? (next === 'failed' && r.state === 'cancelled' ? 'stopped by its worker' : t.reason),
      startedAt: next === 'running' ? r.at : t.startedAt,
      finishedAt: isTerminalTaskState(next) ? r.at : t.finishedAt,
      ...(next === 'running' && r.imageDigest ? { imageDigest: r.imageDigest } : {}),
    };
    tasks.set(r.task, updated);
    changed = true;
    if (next === 'running' && startedAt === null) startedAt = r.at;
    if (isTerminalTaskState(next)) ended.push(updated);
    if (next === 'failed' && !failure) {
      failure = { task: r.task, reason: updated.reason ?? `exited with code ${String(updated.exitCode)}` };
    }
  }
  if (!changed) return { job, changed, ended, failure };
  const nextTasks = job.tasks.map((t) => tasks.get(t.name) as TaskRecord);
  let state = job.state;
  let finishedAt = job.finishedAt;
  if (!isTerminalJobState(state)) {
    const allEnded = nextTasks.every((t) => isTerminalTaskState(t.state));
    if (allEnded) {
      state = job.cancelRequested
        ? 'cancelled'
        : nextTasks.every((t) => t.state === 'finished')
          ? 'finished'
          : 'failed';
      finishedAt = Math.max(...nextTasks.map((t) => t.finishedAt ?? 0));
    } else if (nextTasks.some((t) => t.state === 'running' || isTerminalTaskState(t.state))) {
      state = 'running';
    }
  }
  return { job: { ...job, tasks: nextTasks, state, startedAt, finishedAt }, changed, ended, failure };
}

/** Starts the next attempt: every task back to pending, nothing booked, job waiting again. */
export function requeueJob(job: JobRecord, reason: string, code: FailureCode | null): JobRecord {
  return {
    ...job,
    state: 'waiting',
    attempt: job.attempt + 1,
    scheduledAt: null,
    startedAt: null,
    finishedAt: null,
    unplacedReason: null,
    failureReason: reason,
    failureCode: code,
    tasks: job.tasks.map((t) => freshTask(t.name, t.cores, t.memoryBytes)),
  };
}

/** Ends the job as failed; tasks still running keep their state until their reports arrive. */
export function failJob(job: JobRecord, reason: string, now: number, code: FailureCode | null): JobRecord {
  return { ...job, state: 'failed', failureReason: reason, failureCode: code, finishedAt: now };
}

/** Marks the job cancelled when nothing of it runs, else records the request. */
export function requestCancel(job: JobRecord, now: number): JobRecord {
  const nothingRuns = job.tasks.every((t) => t.state === 'pending' || isTerminalTaskState(t.state));
  if (nothingRuns) {
    return {
      ...job,
      cancelRequested: true,
      state: 'cancelled',
      finishedAt: now,
      tasks: job.tasks.map((t) =>
        t.state === 'pending' ? { ...t, state: 'cancelled', finishedAt: now } : t,
      ),
    };
  }
  return { ...job, cancelRequested: true };
}

/** True when the job may be retried under its restart policy after a task failure. */
export function mayRetryAfterFailure(job: JobRecord): boolean {
  const p = job.spec.restartPolicy;
  return !job.cancelRequested && p.mode === 'on-failure' && job.attempt < p.maxAttempts;
}

/** True when the job is re-queued (rather than failed) after losing its worker. */
export function mayRequeueAfterLoss(job: JobRecord): boolean {
  return (
    !job.cancelRequested &&
    job.spec.restartPolicy.requeueOnWorkerLoss &&
    job.attempt < Math.max(job.spec.restartPolicy.maxAttempts, 1) + 2
  );
}

/** Tasks of the current attempt that hold a booking on some worker (non-terminal and placed). */
export function placedLiveTasks(job: JobRecord): TaskRecord[] {
  return job.tasks.filter((t) => t.workerId !== null && !isTerminalTaskState(t.state));
}
