import type { Clock } from '../core/clock/clock.js';
import { chooseTarget, type TaskLocation } from '../core/control/index.js';
import type { ControlLink } from '../core/control-state/index.js';
import { AppError } from '../core/errors/index.js';
import { formatCpuset, isTerminalTaskState } from '../core/job/index.js';
import type { Logger } from '../core/log/logger.js';
import type { Stores } from '../core/store/store-ports.js';
import type { components } from '../openapi/schema.js';

/** The API's answer for one moved task (schema `MigrationResult`). */
export type MigrationResult = components['schemas']['MigrationResult'];

/** What migrations need. */
export interface MigrationDeps {
  /** Read only: the records the leader projects. */
  readonly stores: Stores;
  readonly control: ControlLink;
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
 * Moves a running task to another worker, exactly once: the target is chosen by the scheduler
 * (or named) on the records as they are, then a `move-task` intent asks the leader, which
 * re-checks the target against its state, books it, frees the source, keeps the task's attempt
 * (one more move, `moving` set), and dispatches the start on the target and the stop on the
 * source. Reports from the source about this attempt change nothing from then on.
 * @throws AppError TASK_NOT_RUNNING, WORKER_NOT_FOUND, NO_CAPACITY, CONFLICT, STORE_UNAVAILABLE
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
  const out = await deps.control.propose({
    kind: 'move-task',
    job: job.name,
    task: task.name,
    to: choice.workerId,
    coreIds: choice.coreIds,
  });
  if (!out.ok) throw new AppError(out.code, `cannot migrate ${task.name}: ${out.reason}`);
  return {
    job: job.name,
    task: task.name,
    attempt: job.attempt,
    from,
    to: choice.workerId,
    coreIds: choice.coreIds,
  };
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
