import type { Clock } from '../core/clock/clock.js';
import type { CommandOutcome, ControlIntent, ControlLink } from '../core/control-state/index.js';
import { AppError } from '../core/errors/index.js';
import { isTerminalJobState, JOB_STATES, type JobSpec, type JobState } from '../core/job/index.js';
import { STRATEGY_NAMES, isStrategyName } from '../core/scheduler/index.js';
import type { WorkerRtt } from '../core/protocol/index.js';
import type { Stores } from '../core/store/store-ports.js';
import type { HandlerResult, OperationHandlers } from './operation-handler.js';
import { jobView, workerView } from './views.js';
import { workerUsageHandler } from './worker-usage.js';

/** What the FrontEnd's control-plane routes need. */
export interface ControlPlaneDeps {
  /** Read only: the records the leader projects. */
  readonly stores: Stores;
  /** Every change goes to the leading JobManager as an intent. */
  readonly control: ControlLink;
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
  /**
   * The GlobalManager's rows per worker: round trips (`rtt`) and when it last heard from each
   * (`lastSeenAt`, merged into `lastHeartbeatAt`). Read from memory when the GlobalManager runs
   * in this process, else asked over the command link (cached, bounded, never throws: see
   * `cachedWorkerRows`); absent, worker views carry no `rtt` and the record's time.
   */
  readonly workerLatency?: () => readonly WorkerRtt[] | Promise<readonly WorkerRtt[]>;
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

/** Throws the refusal of an intent as the API error it maps to. */
export async function proposeOrThrow(control: ControlLink, intent: ControlIntent): Promise<CommandOutcome> {
  const out = await control.propose(intent);
  if (!out.ok) throw new AppError(out.code, out.reason);
  return out;
}

/**
 * Implementations of the job, worker, scheduler and manager routes. Reads come from the records
 * the leader projects; every change is an intent to the leading JobManager, answered once it is
 * durable in the control log — so a 202 means "durably accepted", and when no leader can make it
 * durable the answer is 503 (`STORE_UNAVAILABLE`, with Retry-After), never a 500.
 */
export function controlPlaneHandlers(deps: ControlPlaneDeps): OperationHandlers {
  const { stores, control, clock } = deps;

  const accept = async (job: JobSpec): Promise<void> => {
    await proposeOrThrow(control, { kind: 'submit', spec: job });
  };

  const currentStrategy = async (): Promise<string> => {
    const s = await stores.settings.getStrategy();
    return s && isStrategyName(s) ? s : deps.defaultStrategy;
  };

  const switchStrategy = async (name: string): Promise<void> => {
    if (!isStrategyName(name))
      throw new AppError('UNKNOWN_STRATEGY', `"${name}" is not one of ${STRATEGY_NAMES.join(', ')}`);
    await proposeOrThrow(control, { kind: 'strategy', name });
  };

  const getJobOr404 = async (name: string) => {
    const job = await stores.jobs.get(name);
    if (!job) throw new AppError('JOB_NOT_FOUND', `no job named "${name}"`);
    return job;
  };

  const latencyById = async (): Promise<Map<string, WorkerRtt>> =>
    new Map((await (deps.workerLatency?.() ?? [])).map((r) => [r.workerId, r]));

  const getWorkerOr404 = async (id: string) => {
    const w = await stores.workers.get(id);
    if (!w) throw new AppError('WORKER_NOT_FOUND', `no worker "${id}"`);
    return w;
  };

  const setDraining = async (id: string, draining: boolean) => {
    const w = await getWorkerOr404(id);
    // Only ready ⇄ draining; a lost or removed worker keeps its state (as before: no error).
    if (w.state === (draining ? 'ready' : 'draining'))
      await proposeOrThrow(control, {
        kind: 'worker-state',
        worker: id,
        state: draining ? 'draining' : 'ready',
      });
    return ok(workerView(await getWorkerOr404(id), (await latencyById()).get(id)));
  };

  return {
    submitJob: async (req) => {
      const job = req.job as NonNullable<typeof req.job>;
      await accept(job);
      return ok({ name: job.name, status: 'waiting', links: { self: `/api/v1/jobs/${job.name}` } }, 202);
    },
    compatSubmitJob: async (req) => {
      await accept(req.job as NonNullable<typeof req.job>);
      // The original's plain OK, unless something was read leniently: then say what.
      const warnings = req.warnings ?? [];
      if (warnings.length > 0) return ok({ status: 'OK', warnings });
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
      const out = await control.propose({ kind: 'cancel', job: name });
      // Ended between the read and the intent: the same answer as above.
      if (!out.ok && (out.code === 'JOB_NOT_FOUND' || out.code === 'JOB_FINISHED'))
        throw new AppError('JOB_FINISHED', `job "${name}" already ended`);
      if (!out.ok) throw new AppError(out.code, out.reason);
      return ok(jobView(await getJobOr404(name)), 202);
    },
    listWorkers: async () => {
      const [rtt, workers] = await Promise.all([latencyById(), stores.workers.list()]);
      return ok(workers.map((w) => workerView(w, rtt.get(w.id))));
    },
    getWorker: async (req) => {
      const w = await getWorkerOr404(req.params['id'] as string);
      return ok(workerView(w, (await latencyById()).get(w.id)));
    },
    getWorkerUsage: workerUsageHandler(stores, clock),
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
      // The leader's one consistent state: exact at every moment, not a read of the records.
      const problems = await control.query({ kind: 'consistency' });
      return ok({ ok: problems.length === 0, problems });
    },
  };
}
