import type { Clock } from '../core/clock/clock.js';
import {
  bookingKey,
  resizeBooking,
  resizeTask,
  updateWithRetry,
  type ResizeOutcome,
  type ResizeRequest,
  type TaskLocation,
} from '../core/control/index.js';
import { AppError } from '../core/errors/index.js';
import { formatCpuset } from '../core/job/index.js';
import type { Booking, JobRecord, WorkerRecord } from '../core/model/records.js';
import type { TaskRef } from '../core/protocol/index.js';
import type { Stores } from '../core/store/store-ports.js';
import type { WorkerCommandAnswer, WorkerCommandLink } from '../core/transport/index.js';

/** What update and checkpoint need. */
export interface TaskCommandDeps {
  readonly stores: Stores;
  readonly commands: WorkerCommandLink;
  readonly clock: Clock;
  /** Longest wait for the worker's answer. */
  readonly operationTimeoutMs: number;
}

function runningOn(at: TaskLocation, verb: string): { workerId: string; ref: TaskRef } {
  const { job, task } = at;
  if (task.state !== 'running' || !task.workerId || job.cancelRequested)
    throw new AppError(
      'TASK_NOT_RUNNING',
      `task ${task.name} of job ${job.name} is ${job.cancelRequested ? 'being cancelled' : task.state}; only running tasks can be ${verb}`,
    );
  if (task.moving)
    throw new AppError(
      'CONFLICT',
      `task ${task.name} is still moving to ${task.workerId}; retry once it runs there`,
    );
  return { workerId: task.workerId, ref: { job: job.name, task: task.name, attempt: job.attempt } };
}

function commandError(workerId: string, what: string, a: WorkerCommandAnswer): AppError {
  if (a.outcome === 'unknown-task')
    return new AppError('TASK_NOT_RUNNING', `${workerId} does not run the task any more: ${a.reason ?? ''}`);
  return new AppError(
    'WORKER_COMMAND_FAILED',
    `${what} on ${workerId} ${a.outcome}: ${a.reason ?? 'no reason given'}`,
  );
}

/**
 * Changes a running task's cores, cpuset or memory in place. The worker's booking is resized
 * first with a conditional write (refused with the reason when the worker has no room), then the
 * worker applies it (`docker update`); if that fails the booking is put back. The job record
 * follows last, so a crash in between leaves the bigger booking, never an unbooked container.
 * @returns the job as stored afterwards
 * @throws AppError TASK_NOT_RUNNING, NO_CAPACITY, CONFLICT, WORKER_COMMAND_FAILED
 */
export async function updateTaskLimits(
  deps: TaskCommandDeps,
  at: TaskLocation,
  want: ResizeRequest,
): Promise<JobRecord> {
  const { stores } = deps;
  const { workerId, ref } = runningOn(at, 'updated');
  let before: Booking | undefined;
  const resized = await updateWithRetry<WorkerRecord, ResizeOutcome>(
    () => stores.workers.get(workerId),
    (w) => {
      if (!w) return { next: undefined, result: { ok: false, reason: `worker ${workerId} is gone` } };
      before = w.bookings.find((b) => bookingKey(b) === bookingKey(ref));
      const r = resizeBooking(w, ref, want);
      return r.ok ? { next: r.worker, result: r } : { next: undefined, result: r };
    },
    (next, v) => stores.workers.replace(next, v),
  );
  if (resized.status === 'conflict')
    throw new AppError('CONFLICT', `worker ${workerId} kept changing; retry`);
  const r = resized.result;
  if (!r.ok) throw new AppError('NO_CAPACITY', `cannot update ${ref.task}: ${r.reason}`);
  const answer = await deps.commands.request(
    workerId,
    { kind: 'update', task: ref, coreIds: [...r.booking.coreIds], memoryBytes: r.booking.memoryBytes },
    deps.operationTimeoutMs,
  );
  if (answer.outcome !== 'done') {
    if (before) await restoreBooking(stores, workerId, r.booking, before);
    throw commandError(workerId, `docker update of ${ref.task}`, answer);
  }
  const out = await updateWithRetry(
    () => stores.jobs.get(ref.job),
    (j) => {
      const t = j?.tasks.find((x) => x.name === ref.task);
      if (!j || !t || j.attempt !== ref.attempt || t.workerId !== workerId)
        return { next: undefined, result: null };
      return { next: resizeTask(j, ref.task, r.booking.coreIds, r.booking.memoryBytes), result: null };
    },
    (next, v) => stores.jobs.replace(next, v),
  );
  await stores.events.append([
    {
      at: deps.clock.now(),
      kind: 'task-updated',
      job: ref.job,
      task: ref.task,
      worker: workerId,
      attempt: ref.attempt,
      detail: `cpuset ${formatCpuset(r.booking.coreIds)}, ${r.booking.memoryBytes} bytes`,
    },
  ]);
  if (out.status === 'updated') return out.record;
  return (await stores.jobs.get(ref.job)) ?? at.job;
}

/** Puts `before` back where `applied` is still booked (another writer may have changed it since). */
async function restoreBooking(
  stores: Stores,
  workerId: string,
  applied: Booking,
  before: Booking,
): Promise<void> {
  const same = (a: Booking, b: Booking): boolean =>
    bookingKey(a) === bookingKey(b) &&
    a.memoryBytes === b.memoryBytes &&
    a.coreIds.join(',') === b.coreIds.join(',');
  await updateWithRetry(
    () => stores.workers.get(workerId),
    (w) => {
      if (!w || !w.bookings.some((b) => same(b, applied))) return { next: undefined, result: null };
      return {
        next: { ...w, bookings: w.bookings.map((b) => (same(b, applied) ? before : b)) },
        result: null,
      };
    },
    (next, v) => stores.workers.replace(next, v),
  );
}

/**
 * Checkpoints a running task, leaving it running.
 * @returns the checkpoint's name
 * @throws AppError CHECKPOINT_UNSUPPORTED (with the engine's reason), TASK_NOT_RUNNING, WORKER_COMMAND_FAILED
 */
export async function checkpointTask(deps: TaskCommandDeps, at: TaskLocation): Promise<string> {
  const { workerId, ref } = runningOn(at, 'checkpointed');
  const name = `ck-${ref.task}-${deps.clock.now()}`.slice(0, 128);
  const answer = await deps.commands.request(
    workerId,
    { kind: 'checkpoint', task: ref, checkpoint: name },
    deps.operationTimeoutMs,
  );
  if (answer.outcome === 'done') return name;
  if (answer.outcome === 'unsupported')
    throw new AppError(
      'CHECKPOINT_UNSUPPORTED',
      `worker ${workerId} cannot checkpoint ${ref.task}: ${answer.reason ?? 'the engine has no checkpoint support'}`,
    );
  throw commandError(workerId, `checkpoint of ${ref.task}`, answer);
}
