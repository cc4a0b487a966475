import type { Clock } from '../core/clock/clock.js';
import { bookingIsValid, newJobRecord, updateWithRetry } from '../core/control/index.js';
import { AppError } from '../core/errors/index.js';
import { isTerminalJobState, isTerminalTaskState, JOB_STATES, type JobState } from '../core/job/index.js';
import type { JobQueue } from '../core/queue/job-queue.js';
import { STRATEGY_NAMES, isStrategyName } from '../core/scheduler/index.js';
import type { Stores } from '../core/store/store-ports.js';
import type { WorkerState } from '../core/model/records.js';
import type { HandlerResult, OperationHandlers } from './operation-handler.js';
import { jobView, workerView } from './views.js';

/** What the FrontEnd's control-plane routes need. */
export interface ControlPlaneDeps {
  readonly stores: Stores;
  readonly queue: JobQueue;
  readonly clock: Clock;
  readonly defaultStrategy: string;
  /**
   * Components of the whole control plane for GET /api/v1/manager, from the announcements every
   * process makes (so separate processes are listed too).
   */
  readonly components: () => Promise<ManagerComponent[]>;
  readonly startedAt: number;
  /** Retention shown by GET /api/v1/manager (config `retention`). */
  readonly retention?: { finishedJobsMs: number; usageSamplesMs: number; eventsMs: number };
}

const ok = (body: unknown, status = 200): HandlerResult => ({ status, body });

/** One entry of `ManagerView.components`. */
export type ManagerComponent = { name: string; version: string; state?: string; startedAt?: string };

/** Seconds since the oldest running component started; the FrontEnd's own start when none says. */
function uptimeSeconds(list: readonly ManagerComponent[], now: number, fallback: number): number {
  const starts = list
    .filter((c) => c.state === 'running' && c.startedAt)
    .map((c) => Date.parse(c.startedAt as string));
  return Math.max(0, now - (starts.length > 0 ? Math.min(...starts) : fallback)) / 1000;
}

/** Every problem the consistency check finds; empty means the books balance. */
export async function consistencyProblems(stores: Stores): Promise<string[]> {
  const problems: string[] = [];
  const workers = await stores.workers.list();
  const live = await stores.jobs.listByStates(['scheduled', 'running'], 1_000_000);
  const referenced = await stores.jobs.getMany([
    ...new Set(workers.flatMap((w) => w.bookings.map((b) => b.job))),
  ]);
  const jobs = new Map([...referenced, ...live].map((j) => [j.name, j]));
  const active = [...jobs.values()];
  const booked = new Set<string>();
  for (const w of workers) {
    const cores = new Map<number, string>();
    let mem = 0;
    for (const b of w.bookings) {
      const key = `${b.job}/${b.task}#${b.attempt}`;
      booked.add(`${w.id}|${key}`);
      mem += b.memoryBytes;
      for (const c of b.coreIds) {
        if (!w.coreIds.includes(c))
          problems.push(`${w.id}: ${key} books core ${c}, which the worker does not have`);
        const other = cores.get(c);
        if (other) problems.push(`${w.id}: core ${c} is booked twice (${other} and ${key})`);
        cores.set(c, key);
      }
      if (!bookingIsValid(b, w.id, jobs.get(b.job)))
        problems.push(`${w.id}: booking ${key} is backed by no live task`);
    }
    if (mem > w.totalMemoryBytes) problems.push(`${w.id}: ${mem} bytes booked of ${w.totalMemoryBytes}`);
  }
  for (const j of active) {
    for (const t of j.tasks) {
      if (
        t.workerId &&
        !isTerminalTaskState(t.state) &&
        !booked.has(`${t.workerId}|${j.name}/${t.name}#${j.attempt}`)
      ) {
        problems.push(`${j.name}/${t.name} is ${t.state} on ${t.workerId} without a booking`);
      }
    }
  }
  return problems;
}

/**
 * Implementations of the job, worker, scheduler and manager routes over the store and the queue.
 * A job is stored before it is queued, so the 202 means "durably accepted".
 */
export function controlPlaneHandlers(deps: ControlPlaneDeps): OperationHandlers {
  const { stores, queue, clock } = deps;

  const accept = async (job: NonNullable<Parameters<typeof newJobRecord>[0]>): Promise<void> => {
    if (!(await stores.jobs.insert(newJobRecord(job, clock.now())))) {
      throw new AppError('JOB_EXISTS', `a job named "${job.name}" already exists`);
    }
    await stores.events.append([{ at: clock.now(), kind: 'job-submitted', job: job.name }]);
    await queue.enqueue({ kind: 'submitted', job: job.name });
  };

  const currentStrategy = async (): Promise<string> => {
    const s = await stores.settings.getStrategy();
    return s && isStrategyName(s) ? s : deps.defaultStrategy;
  };

  const switchStrategy = async (name: string): Promise<void> => {
    if (!isStrategyName(name))
      throw new AppError('UNKNOWN_STRATEGY', `"${name}" is not one of ${STRATEGY_NAMES.join(', ')}`);
    await stores.settings.setStrategy(name);
    await stores.events.append([{ at: clock.now(), kind: 'strategy-changed', detail: name }]);
    await queue.enqueue({ kind: 'strategy', strategy: name });
  };

  const getJobOr404 = async (name: string) => {
    const job = await stores.jobs.get(name);
    if (!job) throw new AppError('JOB_NOT_FOUND', `no job named "${name}"`);
    return job;
  };

  const getWorkerOr404 = async (id: string) => {
    const w = await stores.workers.get(id);
    if (!w) throw new AppError('WORKER_NOT_FOUND', `no worker "${id}"`);
    return w;
  };

  const setDraining = async (id: string, draining: boolean) => {
    await getWorkerOr404(id);
    const out = await updateWithRetry(
      () => stores.workers.get(id),
      (w) => {
        if (!w) return { next: undefined, result: undefined };
        const target: WorkerState = draining ? 'draining' : 'ready';
        const from: WorkerState = draining ? 'ready' : 'draining';
        return w.state === from
          ? { next: { ...w, state: target }, result: undefined }
          : { next: undefined, result: undefined };
      },
      (next, v) => stores.workers.replace(next, v),
    );
    if (out.status === 'conflict') throw new AppError('CONFLICT', `worker ${id} kept changing; retry`);
    if (!draining) await queue.enqueue({ kind: 'strategy', strategy: await currentStrategy() });
    return ok(workerView(await getWorkerOr404(id)));
  };

  return {
    submitJob: async (req) => {
      const job = req.job as NonNullable<typeof req.job>;
      await accept(job);
      return ok({ name: job.name, status: 'waiting', links: { self: `/api/v1/jobs/${job.name}` } }, 202);
    },
    compatSubmitJob: async (req) => {
      await accept(req.job as NonNullable<typeof req.job>);
      return { status: 200, body: 'OK', contentType: 'text/plain' };
    },
    listJobs: async (req) => {
      const state = req.query['status'] as JobState | undefined;
      const page = await stores.jobs.list(
        state ? { state } : {},
        req.query['limit'] as number,
        req.query['cursor'] as string | undefined,
      );
      return ok({ items: page.items.map(jobView), nextCursor: page.nextCursor });
    },
    getJob: async (req) => ok(jobView(await getJobOr404(req.params['name'] as string))),
    cancelJob: async (req) => {
      const name = req.params['name'] as string;
      const job = await getJobOr404(name);
      if (isTerminalJobState(job.state))
        throw new AppError('JOB_FINISHED', `job "${name}" already ended (${job.state})`);
      await queue.enqueue({ kind: 'cancel', job: name });
      return ok(jobView(job), 202);
    },
    listWorkers: async () => ok((await stores.workers.list()).map(workerView)),
    getWorker: async (req) => ok(workerView(await getWorkerOr404(req.params['id'] as string))),
    drainWorker: async (req) => setDraining(req.params['id'] as string, true),
    undrainWorker: async (req) => setDraining(req.params['id'] as string, false),
    getScheduler: async () =>
      ok({
        strategy: await currentStrategy(),
        available: [...STRATEGY_NAMES],
        queued: (await stores.jobs.countByState()).waiting,
      }),
    setScheduler: async (req) => {
      await switchStrategy((req.body as { strategy: string }).strategy);
      return ok({
        strategy: await currentStrategy(),
        available: [...STRATEGY_NAMES],
        queued: (await stores.jobs.countByState()).waiting,
      });
    },
    compatSwitchScheduler: async (req) => {
      await switchStrategy(req.params['name'] as string);
      return { status: 200, body: 'OK', contentType: 'text/plain' };
    },
    getManager: async () => {
      const workers = await stores.workers.list();
      const byState: Record<string, number> = { ready: 0, draining: 0, lost: 0, left: 0 };
      for (const w of workers) byState[w.state] = (byState[w.state] ?? 0) + 1;
      const counts = await stores.jobs.countByState();
      const components = await deps.components();
      return ok({
        components,
        strategy: await currentStrategy(),
        queueDepth: counts.waiting,
        jobs: Object.fromEntries(JOB_STATES.map((s) => [s, counts[s]])),
        workers: byState,
        uptimeSeconds: uptimeSeconds(components, clock.now(), deps.startedAt),
        ...(deps.retention
          ? {
              retention: {
                finishedJobsSeconds: deps.retention.finishedJobsMs / 1000,
                usageSamplesSeconds: deps.retention.usageSamplesMs / 1000,
                eventsSeconds: deps.retention.eventsMs / 1000,
              },
            }
          : {}),
      });
    },
    checkConsistency: async () => {
      const problems = await consistencyProblems(stores);
      return ok({ ok: problems.length === 0, problems });
    },
  };
}
