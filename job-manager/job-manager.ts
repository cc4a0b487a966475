import type { Clock } from '../core/clock/clock.js';
import {
  assignmentOf,
  reconcileBookings,
  requestCancel,
  requestsOf,
  snapshotOf,
  updateWithRetry,
  failJob,
  type PlacedRef,
} from '../core/control/index.js';
import { isTerminalTaskState } from '../core/job/job-state.js';
import type { Logger } from '../core/log/logger.js';
import type { ClusterEvent, JobRecord } from '../core/model/records.js';
import type { QueueMessage, JobQueue } from '../core/queue/job-queue.js';
import { getStrategy, isStrategyName, schedule, type StrategyName } from '../core/scheduler/index.js';
import type { Stores } from '../core/store/store-ports.js';
import type { DispatchLink, NudgeListener } from '../core/transport/index.js';
import { PlanApplier } from './plan-applier.js';

/** Options of the JobManager. */
export interface JobManagerOptions {
  /** Strategy when none is stored yet. */
  readonly defaultStrategy: string;
  readonly agingPerSecond: number;
  /** Waiting jobs considered per round (oldest first). @defaultValue 5000 */
  readonly maxJobsPerRound?: number;
  /** Safety round interval; covers lost nudges. Not a busy poll. */
  readonly safetyIntervalMs: number;
  readonly bookingGraceMs: number;
}

/** What the JobManager is built from. */
export interface JobManagerDeps {
  readonly stores: Stores;
  readonly queue: JobQueue;
  readonly gm: DispatchLink;
  readonly nudges: NudgeListener;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Lifecycle: created → running → closing → closed. */
export type JobManagerState = 'created' | 'running' | 'closing' | 'closed';

/**
 * Rounds in a row that may follow each other because a plan hit conflicts; past this the
 * remaining jobs wait for the next nudge, so two JobManagers cannot livelock each other.
 */
export const MAX_SCHEDULE_ATTEMPTS = 5;

/**
 * Schedules waiting jobs. Each round: read the waiting jobs and workers from the store, run the
 * pure scheduler on that snapshot, commit the plan through the {@link PlanApplier}, dispatch the
 * committed placements to the GlobalManager, and record why the rest wait. Rounds run when a job
 * is queued, when capacity frees (nudges), when the strategy changes, and on a slow safety timer;
 * triggers arriving during a round coalesce into one more round.
 */
export class JobManager {
  private state: JobManagerState = 'created';
  private readonly applier: PlanApplier;
  private running: Promise<void> | undefined;
  private dirty = false;
  private conflictRounds = 0;
  private timer: NodeJS.Timeout | undefined;
  private roundNo = 0;
  private lastStrategy: string | undefined;
  private readonly timings = {
    rounds: 0,
    readMs: 0,
    planMs: 0,
    applyMs: 0,
    dispatchMs: 0,
    recordMs: 0,
    placedJobs: 0,
  };

  constructor(
    private readonly options: JobManagerOptions,
    private readonly deps: JobManagerDeps,
  ) {
    this.applier = new PlanApplier(deps.stores, deps.clock);
  }

  getState(): JobManagerState {
    return this.state;
  }

  /** Where scheduling time went, cumulative (benchmarks print it). */
  get stats(): Readonly<typeof this.timings> {
    return { ...this.timings };
  }

  /** Scheduling rounds run so far (experiments and tests read it to show there is no busy loop). */
  get rounds(): number {
    return this.roundNo;
  }

  /** Frees orphaned bookings, re-dispatches scheduled jobs, then starts consuming. */
  async run(): Promise<void> {
    if (this.state !== 'created') throw new Error(`JobManager.run in state ${this.state}`);
    this.state = 'running';
    const freed = await reconcileBookings(
      this.deps.stores,
      this.deps.clock.now(),
      this.options.bookingGraceMs,
    );
    if (freed > 0) this.deps.logger.warn({ freed }, 'freed bookings no live task backed');
    await this.redispatchScheduled(0);
    this.deps.nudges.onNudge(() => this.trigger());
    await this.deps.queue.consume((m) => this.onMessage(m));
    this.timer = setInterval(() => {
      this.trigger();
      void reconcileBookings(this.deps.stores, this.deps.clock.now(), this.options.bookingGraceMs)
        .then((n) => n > 0 && this.deps.logger.warn({ freed: n }, 'freed bookings no live task backed'))
        .catch((err: unknown) => this.deps.logger.error({ err }, 'booking reconciliation failed'));
      void this.redispatchScheduled(this.options.safetyIntervalMs).catch((err: unknown) =>
        this.deps.logger.error({ err }, 're-dispatch failed'),
      );
    }, this.options.safetyIntervalMs);
    this.trigger();
  }

  private async onMessage(m: QueueMessage): Promise<void> {
    if (m.kind === 'cancel') await this.cancel(m.job);
    this.trigger();
  }

  /** Asks for a round; coalesces with one already running. */
  trigger(): void {
    if (this.state !== 'running') return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = this.round()
      .catch((err: unknown) => this.deps.logger.error({ err }, 'scheduling round failed'))
      .finally(() => {
        this.running = undefined;
        if (this.dirty) {
          this.dirty = false;
          this.trigger();
        }
      });
  }

  /** Resolves when no round is running or queued (tests use it to wait for quiescence). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async strategy(): Promise<StrategyName> {
    const stored = await this.deps.stores.settings.getStrategy();
    const name = stored && isStrategyName(stored) ? stored : this.options.defaultStrategy;
    if (name !== this.lastStrategy) {
      this.deps.logger.info({ strategy: name }, 'scheduling strategy');
      this.lastStrategy = name;
    }
    return getStrategy(name).name;
  }

  private async round(): Promise<void> {
    const { stores, clock, logger } = this.deps;
    const t0 = performance.now();
    const waiting = (
      await stores.jobs.listByStates(['waiting'], this.options.maxJobsPerRound ?? 5000)
    ).filter((j) => !j.cancelRequested);
    if (waiting.length === 0) return;
    const strategy = await this.strategy();
    const workers = await stores.workers.list();
    const now = clock.now();
    const t1 = performance.now();
    const plan = schedule(snapshotOf(workers, ++this.roundNo), requestsOf(waiting), strategy, {
      nowMs: now,
      agingPerSecond: this.options.agingPerSecond,
    });
    const t2 = performance.now();
    const jobs = new Map(waiting.map((j) => [j.name, j]));
    const applied = await this.applier.apply(plan, jobs);
    const t3 = performance.now();
    const assign = applied.committed.flatMap((j) => j.tasks.map((t) => assignmentOf(j, t)));
    if (assign.length > 0) await this.deps.gm.dispatch({ assign, stop: [] });
    const t4 = performance.now();
    const events: ClusterEvent[] = applied.committed.map((j) => ({
      at: now,
      kind: 'job-scheduled',
      job: j.name,
      attempt: j.attempt,
    }));
    // With no worker known yet, nothing "never fits": the fleet may still be joining.
    const fleetKnown = workers.some((w) => w.state !== 'left');
    for (const u of plan.unplaced) {
      const job = jobs.get(u.jobId);
      if (!job) continue;
      if (u.neverFits && fleetKnown) {
        const failed = failJob({ ...job, unplacedReason: u.reason }, `can never be placed: ${u.reason}`, now);
        if (await stores.jobs.replace(failed, job.version))
          events.push({ at: now, kind: 'job-failed', job: job.name, detail: failed.failureReason ?? '' });
      } else if (job.unplacedReason !== u.reason) {
        if (await stores.jobs.replace({ ...job, unplacedReason: u.reason }, job.version)) {
          events.push({ at: now, kind: 'job-unplaced', job: job.name, detail: u.reason });
        }
      }
    }
    if (events.length > 0) await stores.events.append(events);
    const tm = this.timings;
    tm.rounds++;
    tm.readMs += t1 - t0;
    tm.planMs += t2 - t1;
    tm.applyMs += t3 - t2;
    tm.dispatchMs += t4 - t3;
    tm.recordMs += performance.now() - t4;
    tm.placedJobs += applied.committed.length;
    logger.debug(
      {
        round: this.roundNo,
        waiting: waiting.length,
        placed: applied.committed.length,
        unplaced: plan.unplaced.length,
        rejected: applied.rejected.length,
      },
      'round',
    );
    if (applied.rejected.length > 0 && this.conflictRounds < MAX_SCHEDULE_ATTEMPTS) {
      this.conflictRounds++;
      this.dirty = true;
    } else {
      this.conflictRounds = 0;
    }
  }

  /** Cancels a job: at once when nothing of it runs, else by stopping its tasks. */
  private async cancel(name: string): Promise<void> {
    const now = this.deps.clock.now();
    const out = await updateWithRetry(
      () => this.deps.stores.jobs.get(name),
      (job) =>
        job && !job.cancelRequested
          ? { next: requestCancel(job, now), result: job }
          : { next: undefined, result: job },
      (next, v) => this.deps.stores.jobs.replace(next, v),
    );
    if (out.status !== 'updated') return;
    const stop: PlacedRef[] = out.record.tasks
      .filter((t) => t.workerId && !isTerminalTaskState(t.state))
      .map((t) => ({ workerId: t.workerId as string, job: name, task: t.name, attempt: out.record.attempt }));
    if (stop.length > 0) await this.deps.gm.dispatch({ assign: [], stop });
    if (out.record.state === 'cancelled')
      await this.deps.stores.events.append([{ at: now, kind: 'job-cancelled', job: name }]);
  }

  /**
   * Sends again the assignments of jobs scheduled more than `olderThanMs` ago and not yet running:
   * a dispatch lost with a crashed GlobalManager or JobManager is repaired here. Workers ignore
   * assignments they already have (idempotent by task attempt).
   */
  private async redispatchScheduled(olderThanMs: number): Promise<void> {
    const now = this.deps.clock.now();
    const stuck = (await this.deps.stores.jobs.listByStates(['scheduled', 'running'], 100_000)).filter(
      (j: JobRecord) => !j.cancelRequested && j.scheduledAt !== null && now - j.scheduledAt >= olderThanMs,
    );
    const assign = stuck.flatMap((j) =>
      j.tasks.filter((t) => t.state === 'scheduled' && t.workerId).map((t) => assignmentOf(j, t)),
    );
    if (assign.length > 0) await this.deps.gm.dispatch({ assign, stop: [] });
  }

  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    if (this.timer) clearInterval(this.timer);
    await this.idle();
    this.state = 'closed';
  }
}
