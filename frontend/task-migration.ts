import type { Clock } from '../core/clock/clock.js';
import {
  addBookings,
  assignmentOf,
  bookingOf,
  chooseTarget,
  moveTask,
  releaseBookings,
  updateWithRetry,
  type PlacedRef,
  type TaskLocation,
} from '../core/control/index.js';
import { AppError } from '../core/errors/index.js';
import { formatCpuset, isTerminalTaskState } from '../core/job/index.js';
import type { Logger } from '../core/log/logger.js';
import type { JobRecord } from '../core/model/records.js';
import type { Stores } from '../core/store/store-ports.js';
import type { DispatchLink } from '../core/transport/index.js';
import type { components } from '../openapi/schema.js';

/** The API's answer for one moved task (schema `MigrationResult`). */
export type MigrationResult = components['schemas']['MigrationResult'];

/** What migrations need. */
export interface MigrationDeps {
  readonly stores: Stores;
  readonly dispatch: DispatchLink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Scheduling strategy in force (picks targets). */
  readonly strategy: () => Promise<string>;
  /** Longest wait for the target to report the task running. */
  readonly operationTimeoutMs: number;
}

/** A migration booked and dispatched, not yet confirmed by the target. */
export interface StartedMigration {
  readonly job: string;
  readonly task: string;
  readonly attempt: number;
  readonly from: string;
  readonly to: string;
  readonly coreIds: readonly number[];
}

/** Why every migration here is cold. */
export const COLD_NOTE =
  'cold: stopped on the source and started afresh on the target with the same spec and the new cpuset; live migration (a CRIU checkpoint restored into a new container) is not done by this build';

const POLL_MS = 100;

/**
 * Moves a running task to another worker, exactly once:
 * 1. the target is chosen by the scheduler (or named) and **booked** with a conditional write
 *    re-checked against the target as it is now;
 * 2. the job is rewritten conditionally (task placed on the target, one more move, `moving`
 *    set); if the task changed meanwhile (ended, moved by someone else) the target booking is
 *    rolled back and nothing else happened;
 * 3. the source booking is **released** (idempotent; if this process dies here, booking
 *    reconciliation frees it, since no live task backs it any more);
 * 4. the GlobalManager is told to start it on the target and stop it on the source.
 * Reports from the source about this attempt are ignored from step 2 on (Discovery only applies
 * reports of the worker a task is placed on).
 * @throws AppError TASK_NOT_RUNNING, WORKER_NOT_FOUND, NO_CAPACITY, CONFLICT
 */
export async function startMigration(
  deps: MigrationDeps,
  at: TaskLocation,
  to: string | undefined,
): Promise<StartedMigration> {
  const { stores, clock } = deps;
  const { job, task } = at;
  const from = task.workerId;
  if (task.state !== 'running' || !from || job.cancelRequested)
    throw new AppError(
      'TASK_NOT_RUNNING',
      `task ${task.name} of job ${job.name} is ${job.cancelRequested ? 'being cancelled' : task.state}; only running tasks migrate`,
    );
  if (task.moving)
    throw new AppError(
      'CONFLICT',
      `task ${task.name} is still moving from ${task.moving.from} to ${from}; wait until it runs there`,
    );
  const choice = chooseTarget(await stores.workers.list(), at, await deps.strategy(), clock.now(), to);
  if (!choice.ok) throw new AppError(choice.code, `cannot migrate ${task.name}: ${choice.reason}`);
  const target = choice.workerId;
  const booking = bookingOf(job, task.name, choice.coreIds, task.memoryBytes, clock.now());
  const booked = await updateWithRetry(
    () => stores.workers.get(target),
    (w) => {
      if (!w) return { next: undefined, result: `worker ${target} is gone` };
      const r = addBookings(w, [booking]);
      const refused = r.refused[0];
      return refused ? { next: undefined, result: refused.reason } : { next: r.worker, result: null };
    },
    (next, v) => stores.workers.replace(next, v),
  );
  if (booked.status === 'conflict') throw new AppError('CONFLICT', `worker ${target} kept changing; retry`);
  if (booked.result !== null)
    throw new AppError('NO_CAPACITY', `cannot migrate ${task.name} to ${target}: ${booked.result}`);
  const targetRef: PlacedRef = { workerId: target, job: job.name, task: task.name, attempt: job.attempt };
  let moved: JobRecord;
  try {
    const out = await updateWithRetry<JobRecord, string | null>(
      () => stores.jobs.get(job.name),
      (j) => {
        const t = j?.tasks.find((x) => x.name === task.name);
        if (!j || !t || j.attempt !== job.attempt || j.cancelRequested)
          return { next: undefined, result: `job ${job.name} changed (re-queued, cancelled or gone)` };
        if (t.state !== 'running' || t.workerId !== from)
          return { next: undefined, result: `task ${task.name} is now ${t.state} on ${String(t.workerId)}` };
        return { next: moveTask(j, task.name, target, choice.coreIds, clock.now()), result: null };
      },
      (next, v) => stores.jobs.replace(next, v),
    );
    if (out.status !== 'updated')
      throw new AppError(
        'CONFLICT',
        `cannot migrate ${task.name}: ${out.status === 'conflict' ? 'the job kept changing' : String(out.result)}`,
      );
    moved = out.record;
  } catch (err) {
    await releaseBookings(stores.workers, [targetRef]);
    throw err;
  }
  const sourceRef: PlacedRef = { workerId: from, job: job.name, task: task.name, attempt: job.attempt };
  await releaseBookings(stores.workers, [sourceRef]).catch((err: unknown) =>
    deps.logger.error(
      { err, ref: sourceRef },
      'freeing the migration source failed; reconciliation frees it',
    ),
  );
  const movedTask = moved.tasks.find((t) => t.name === task.name);
  if (movedTask)
    await deps.dispatch.dispatch({ assign: [assignmentOf(moved, movedTask)], stop: [sourceRef] });
  await stores.events.append([
    {
      at: clock.now(),
      kind: 'task-migrated',
      job: job.name,
      task: task.name,
      worker: target,
      attempt: job.attempt,
      detail: `cold from ${from} to ${target}, cpuset ${formatCpuset(choice.coreIds)}`,
    },
  ]);
  return { job: job.name, task: task.name, attempt: job.attempt, from, to: target, coreIds: choice.coreIds };
}

/**
 * Waits (bounded by `operationTimeoutMs`) until the target reports the task running — Discovery
 * clears the task's `moving` mark on that report — or the task ends there.
 */
export async function awaitMigration(deps: MigrationDeps, m: StartedMigration): Promise<MigrationResult> {
  const deadline = deps.clock.now() + deps.operationTimeoutMs;
  const base = {
    task: m.task,
    mode: 'cold' as const,
    from: m.from,
    to: m.to,
    cpuset: formatCpuset(m.coreIds),
  };
  for (;;) {
    const job = await deps.stores.jobs.get(m.job);
    const t = job?.tasks.find((x) => x.name === m.task);
    if (!job || !t || job.attempt !== m.attempt || t.workerId !== m.to)
      return {
        ...base,
        running: false,
        error: 'the task was re-queued or moved again meanwhile',
        note: COLD_NOTE,
      };
    if (isTerminalTaskState(t.state))
      return {
        ...base,
        running: false,
        error: `the task ${t.state} on ${m.to}: ${t.reason ?? 'no reason given'}`,
        note: COLD_NOTE,
      };
    if (!t.moving) return { ...base, running: true, error: null, note: COLD_NOTE };
    if (deps.clock.now() >= deadline)
      return {
        ...base,
        running: false,
        error: null,
        note: `${COLD_NOTE}; ${m.to} had not reported it running within ${deps.operationTimeoutMs} ms (see GET /api/v1/jobs/${m.job})`,
      };
    await deps.clock.sleep(POLL_MS);
  }
}

/** The result for a task that could not be moved. */
export function failedMigration(
  task: string,
  from: string | null,
  to: string | undefined,
  err: unknown,
): MigrationResult {
  return {
    task,
    mode: 'cold',
    from: from ?? '',
    to: to ?? '',
    running: false,
    error: err instanceof Error ? err.message : String(err),
  };
}
