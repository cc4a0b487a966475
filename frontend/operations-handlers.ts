import type { Clock } from '../core/clock/clock.js';
import { lookupTask, type TaskLocation } from '../core/control/index.js';
import type { ControlLink } from '../core/control-state/index.js';
import { AppError, type FieldIssue } from '../core/errors/index.js';
import { isTerminalTaskState, parseCpuset, parseMemorySize } from '../core/job/index.js';
import type { Logger } from '../core/log/logger.js';
import { isStrategyName } from '../core/scheduler/index.js';
import type { Stores } from '../core/store/store-ports.js';
import type { WorkerCommandLink } from '../core/transport/index.js';
import type { HandlerResult, OperationHandler, OperationHandlers } from './operation-handler.js';
import { checkpointTask, updateTaskLimits } from './task-commands.js';
import { findEndedTask, taskLogs } from './task-logs.js';
import {
  awaitMigration,
  failedMigration,
  startMigration,
  type MigrationDeps,
  type MigrationResult,
  type StartedMigration,
} from './task-migration.js';
import { jobView, workerView } from './views.js';

/** What the task and worker operation routes need. */
export interface OperationsDeps {
  /** Read only: the records the leader projects. */
  readonly stores: Stores;
  /** Changes go to the leading JobManager as intents. */
  readonly control: ControlLink;
  readonly commands: WorkerCommandLink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly defaultStrategy: string;
  /** Longest wait for a worker's answer or a migration target's "running". */
  readonly operationTimeoutMs: number;
  /** The plain drain (state change only); `{migrate: true}` adds the moves. */
  readonly drain: OperationHandler;
  /** Pause between two reads of a followed task's log. @defaultValue 300 */
  readonly followPollMs?: number;
}

const LIVE_JOB_STATES = ['waiting', 'scheduled', 'running'] as const;
const MAX_LOOKUP_JOBS = 1_000_000;

/**
 * Migrate, update, checkpoint, logs, drain-with-migrate and remove-worker. Bookkeeping is the leader's:
 * the FrontEnd sends intents (`move-task`, `resize-task`, `worker-removed`, see
 * `task-migration.ts` and `task-commands.ts`) and reaches workers through the GlobalManager's
 * `commands` for what needs the worker's answer.
 */
export function operationsHandlers(deps: OperationsDeps): OperationHandlers {
  const { stores, clock, control } = deps;
  const strategy = async (): Promise<string> => {
    const s = await stores.settings.getStrategy();
    return s && isStrategyName(s) ? s : deps.defaultStrategy;
  };
  const migration: MigrationDeps = {
    stores,
    control,
    clock,
    logger: deps.logger,
    strategy,
    operationTimeoutMs: deps.operationTimeoutMs,
  };
  const commandDeps = {
    stores,
    control,
    commands: deps.commands,
    clock,
    operationTimeoutMs: deps.operationTimeoutMs,
  };

  const findTask = async (name: string): Promise<TaskLocation> => {
    const found = lookupTask(await stores.jobs.listByStates(LIVE_JOB_STATES, MAX_LOOKUP_JOBS), name);
    if (found.kind === 'found') return found.at;
    if (found.kind === 'none')
      throw new AppError(
        'TASK_NOT_FOUND',
        `no task of a waiting, scheduled or running job is named "${name}" (use the container name, or the task name when it is unique)`,
      );
    throw new AppError(
      'CONFLICT',
      `"${name}" names ${found.candidates.length} live tasks (${found.candidates.join(', ')}); use one of those names`,
    );
  };

  /** A live task (as {@link findTask}), else a task of an ended job by its container name. */
  const findLogTask = async (name: string): Promise<TaskLocation> => {
    try {
      return await findTask(name);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'TASK_NOT_FOUND') throw err;
      const ended = await findEndedTask(stores, name);
      if (ended) return ended;
      throw new AppError(
        'TASK_NOT_FOUND',
        `no task is named "${name}" (a live job's task by its container name or, when unique, its task name; an ended job's task by its container name, <job>_<task>)`,
      );
    }
  };

  /** Books and dispatches the moves one at a time (each sees the last one's booking), then awaits all. */
  const migrateAll = async (
    at: readonly TaskLocation[],
    to: string | undefined,
  ): Promise<MigrationResult[]> => {
    const started: (StartedMigration | MigrationResult)[] = [];
    for (const loc of at) {
      const fresh = await stores.jobs.get(loc.job.name);
      const task = fresh?.tasks.find((t) => t.name === loc.task.name);
      try {
        if (!fresh || !task) throw new AppError('TASK_NOT_FOUND', `task ${loc.task.name} is gone`);
        started.push(await startMigration(migration, { job: fresh, task }, to));
      } catch (err) {
        started.push(failedMigration(loc.task.name, loc.task.workerId, to, err));
      }
    }
    return Promise.all(started.map((s) => ('mode' in s ? Promise.resolve(s) : awaitMigration(migration, s))));
  };

  const ok = (body: unknown, status = 200): HandlerResult => ({ status, body });

  return {
    migrateTask: async (req) => {
      const at = await findTask(req.params['task'] as string);
      const to = (req.body as { to?: string } | undefined)?.to;
      return ok(await awaitMigration(migration, await startMigration(migration, at, to)));
    },
    migrateJob: async (req) => {
      const name = req.params['name'] as string;
      const job = await stores.jobs.get(name);
      if (!job) throw new AppError('JOB_NOT_FOUND', `no job named "${name}"`);
      const live = job.tasks.filter((t) => !isTerminalTaskState(t.state));
      if (live.length === 0)
        throw new AppError('JOB_FINISHED', `job "${name}" has no live task (${job.state})`);
      const to = (req.body as { to?: string } | undefined)?.to;
      return ok(
        await migrateAll(
          live.map((task) => ({ job, task })),
          to,
        ),
      );
    },
    updateTask: async (req) => {
      const at = await findTask(req.params['task'] as string);
      const body = req.body as { cores?: number; cpuset?: string; memory?: string | number };
      const issues: FieldIssue[] = [];
      const coreIds = body.cpuset === undefined ? undefined : parseCpuset(body.cpuset);
      if (body.cpuset !== undefined && (!coreIds || coreIds.length === 0))
        issues.push({
          code: 'CPUSET_INVALID',
          pointer: '/cpuset',
          message: `"${body.cpuset}" is not a cpuset such as "0-3,6"`,
        });
      const memoryBytes =
        body.memory === undefined
          ? undefined
          : typeof body.memory === 'number'
            ? body.memory
            : parseMemorySize(body.memory);
      if (body.memory !== undefined && memoryBytes === undefined)
        issues.push({
          code: 'MEMORY_INVALID',
          pointer: '/memory',
          message: `"${String(body.memory)}" is not a memory size such as "512m"`,
        });
      if (issues.length > 0)
        throw new AppError('VALIDATION_FAILED', issues.map((i) => i.message).join('; '), issues);
      const job = await updateTaskLimits(commandDeps, at, { cores: body.cores, coreIds, memoryBytes });
      return ok(jobView(job).tasks.find((t) => t.name === at.task.name));
    },
    getTaskLogs: async (req) =>
      taskLogs(
        {
          stores,
          commands: deps.commands,
          clock,
          logger: deps.logger,
          operationTimeoutMs: deps.operationTimeoutMs,
          ...(deps.followPollMs !== undefined ? { followPollMs: deps.followPollMs } : {}),
        },
        await findLogTask(req.params['task'] as string),
        {
          tail: req.query['tail'] as string,
          follow: req.query['follow'] === true,
          timestamps: req.query['timestamps'] === true,
          since: req.query['since'] as string | undefined,
        },
      ),
    checkpointTask: async (req) => {
      const at = await findTask(req.params['task'] as string);
      return ok({ task: at.task.name, checkpoint: await checkpointTask(commandDeps, at) }, 201);
    },
    drainWorker: async (req) => {
      const drained = await deps.drain(req);
      if (!(req.body as { migrate?: boolean } | undefined)?.migrate) return drained;
      const id = req.params['id'] as string;
      const at = (await stores.jobs.listActiveOnWorker(id)).flatMap((job) =>
        job.tasks
          .filter((t) => t.workerId === id && !isTerminalTaskState(t.state))
          .map((task) => ({ job, task })),
      );
      const migrations = await migrateAll(at, undefined);
      const w = await stores.workers.get(id);
      return ok({ ...(w ? workerView(w) : {}), migrations });
    },
    removeWorker: async (req) => {
      const id = req.params['id'] as string;
      const force = req.query['force'] === true;
      const w = await stores.workers.get(id);
      if (!w) throw new AppError('WORKER_NOT_FOUND', `no worker "${id}"`);
      const jobs = await stores.jobs.listActiveOnWorker(id);
      const live = jobs.flatMap((j) =>
        j.tasks
          .filter((t) => t.workerId === id && !isTerminalTaskState(t.state))
          .map((t) => `${j.name}/${t.name}`),
      );
      if (live.length > 0 && !force)
        throw new AppError(
          'WORKER_BUSY',
          `worker ${id} (${w.state}) runs ${live.length} task${live.length === 1 ? '' : 's'} (${live.slice(0, 10).join(', ')}${live.length > 10 ? ', …' : ''}); drain it with {"migrate": true} first, or pass ?force=true`,
        );
      // Forced: its jobs are settled as a lost worker's (re-queued per restart policy, or failed).
      const out = await control.propose({ kind: 'worker-removed', worker: id });
      if (!out.ok) throw new AppError(out.code, out.reason);
      const told = await deps.commands.request(id, { kind: 'leave' }, deps.operationTimeoutMs);
      if (told.outcome !== 'done')
        deps.logger.info({ worker: id, outcome: told.outcome }, 'removed worker not told to leave');
      const after = await stores.workers.get(id);
      return ok(workerView(after ?? w), 202);
    },
  };
}
