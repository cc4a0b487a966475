import type { Clock } from '../core/clock/clock.js';
import { bookingKey, resizeBooking, type ResizeRequest, type TaskLocation } from '../core/control/index.js';
import type { ControlLink } from '../core/control-state/index.js';
import { AppError } from '../core/errors/index.js';
import type { JobRecord } from '../core/model/records.js';
import type { TaskRef } from '../core/protocol/index.js';
import type { Stores } from '../core/store/store-ports.js';
import type { WorkerCommandAnswer, WorkerCommandLink } from '../core/transport/index.js';

/** What update and checkpoint need. */
export interface TaskCommandDeps {
  /** Read only: the records the leader projects. */
  readonly stores: Stores;
  readonly control: ControlLink;
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
 * Changes a running task's cores, cpuset or memory in place. The new limits are resolved on the
 * worker's record (a core count keeps the task's cores first), then a `resize-task` intent has the
 * leader re-check and re-book them; only then does the worker apply them (`docker update`). If
 * the worker refuses, a second intent puts the old limits back. A crash in between leaves the
 * bigger booking, never an unbooked container.
 * @returns the job as recorded afterwards
 * @throws AppError TASK_NOT_RUNNING, NO_CAPACITY, CONFLICT, WORKER_COMMAND_FAILED, STORE_UNAVAILABLE
 */
export async function updateTaskLimits(
  deps: TaskCommandDeps,
  at: TaskLocation,
  want: ResizeRequest,
): Promise<JobRecord> {
  const { stores, control } = deps;
  const { workerId, ref } = runningOn(at, 'updated');
  const worker = await stores.workers.get(workerId);
  if (!worker) throw new AppError('CONFLICT', `worker ${workerId} is gone`);
  const before = worker.bookings.find((b) => bookingKey(b) === bookingKey(ref));
  const r = resizeBooking(worker, ref, want);
  if (!r.ok) throw new AppError('NO_CAPACITY', `cannot update ${ref.task}: ${r.reason}`);
  const out = await control.propose({
    kind: 'resize-task',
    job: ref.job,
    task: ref.task,
    coreIds: [...r.booking.coreIds],
    memoryBytes: r.booking.memoryBytes,
  });
  if (!out.ok)
    throw new AppError(
      out.code === 'NO_CAPACITY' ? 'NO_CAPACITY' : out.code,
      `cannot update ${ref.task}: ${out.reason}`,
    );
  const answer = await deps.commands.request(
    workerId,
    { kind: 'update', task: ref, coreIds: [...r.booking.coreIds], memoryBytes: r.booking.memoryBytes },
    deps.operationTimeoutMs,
  );
  if (answer.outcome !== 'done') {
    if (before) {
      await control
        .propose({
          kind: 'resize-task',
          job: ref.job,
          task: ref.task,
          coreIds: [...before.coreIds],
          memoryBytes: before.memoryBytes,
        })
        .catch(() => undefined);
    }
    throw commandError(workerId, `docker update of ${ref.task}`, answer);
  }
  return (await stores.jobs.get(ref.job)) ?? at.job;
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
