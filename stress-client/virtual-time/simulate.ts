/**
 * The virtual-time simulator: a discrete-event replay of a {@link Workload} on a fleet, running
 * the same scheduling core as the JobManager (`schedule()` on a snapshot of WorkerViews, the
 * strategy by name, all-or-nothing jobs) with no waiting. Events are job arrivals and task
 * finishes; all events of one instant are applied before scheduling, and a round runs only when
 * something changed (a job arrived or capacity freed) and jobs wait. Like the JobManager, a round
 * considers the oldest `maxRoundJobs` waiting jobs (by submission, then name) and fails at once a
 * job that can never fit the fleet, with the scheduler's reason. A round plans only the jobs whose
 * outcome can change (selective-round.ts), with the placements of planning the whole window;
 * `replanAll` plans the whole window, as the JobManager does.
 *
 * Deterministic: the same workload, fleet, strategy and options give the same samples (only
 * `wallSeconds` and, without `nowEpochMs`, `startedAtEpochMs` differ). See
 * docs/design/experiments.md for what is and is not modelled.
 */
import { getStrategy, schedule } from '../../core/scheduler/index.js';
import type { JobRequest, Placement, Plan, WorkerView } from '../../core/scheduler/index.js';
import type { ClusterSample, RunResult, WorkerSample } from '../run-result.js';
import type { FleetWorker, Workload } from '../workload.js';
import { EventHeap } from './event-heap.js';
import { SelectiveRounds, type BatchOutcome } from './selective-round.js';
import { SimFleet } from './sim-fleet.js';
import { jobSample, simJob, type SimJob } from './sim-job.js';
import { checkSimulateOptions, type SimulateOptions } from './simulate-options.js';

export { DEFAULT_MAX_ROUND_JOBS, type SimProgress, type SimulateOptions } from './simulate-options.js';

/** One placed task: what to free when it finishes. */
interface Running {
  readonly job: number;
  readonly worker: number;
  readonly coreIds: readonly number[];
  readonly memoryBytes: number;
}

/**
 * Replays `workload` on `fleet` under `strategy` in virtual time.
 * @throws AppError `UNKNOWN_STRATEGY`; RangeError for bad options, a bad fleet or unsorted arrivals
 */
export function simulate(
  workload: Workload,
  fleet: readonly FleetWorker[],
  strategy: string,
  options: SimulateOptions = {},
): RunResult {
  const wallStart = performance.now();
  const spec = getStrategy(strategy);
  const opts = checkSimulateOptions(options);
  const sim = new SimFleet(fleet);
  const jobs = workload.jobs.map((j) => simJob(j, opts.nowEpochMs));
  for (let i = 1; i < jobs.length; i++) {
    if (jobs[i]!.spec.arrivalMs < jobs[i - 1]!.spec.arrivalMs) {
      throw new RangeError(`simulate: workload jobs must be sorted by arrivalMs (job ${jobs[i]!.spec.name})`);
    }
  }
  const byName = new Map(jobs.map((j, i) => [j.spec.name, i]));
  const finishes = new EventHeap();
  const running: (Running | undefined)[] = [];
  const free: number[] = []; // reusable slots of `running`
  const workerSamples: WorkerSample[] = [];
  const clusterSamples: ClusterSample[] = [];
  let waiting: number[] = []; // job indices, in submission order (arrivals come sorted)
  let next = 0;
  let now = 0;
  let placedSinceSample = 0;
  let lastSampleAt = -Infinity;
  let version = 0;
  let done = 0;
  const selective = opts.replanAll ? undefined : new SelectiveRounds(jobs, spec, sim, opts.agingPerSecond);

  const sampleCluster = (force: boolean): void => {
    if (!force && now - lastSampleAt < opts.sampleEveryMs) return;
    clusterSamples.push({
      atMs: now,
      queueDepth: waiting.length,
      placements: placedSinceSample,
      usedCores: sim.usedCores,
      totalCores: sim.totalCores,
      usedMemoryBytes: sim.usedMemoryBytes,
      totalMemoryBytes: sim.totalMemoryBytes,
    });
    placedSinceSample = 0;
    lastSampleAt = now;
  };

  const apply = (placements: readonly Placement[]): void => {
    for (const p of placements) {
      const j = byName.get(p.jobId)!;
      const job = jobs[j]!;
      const worker = sim.take(p.workerId, p.coreIds, p.memoryBytes);
      const task = job.spec.tasks.find((t) => t.name === p.taskId)!;
      const slot = free.pop() ?? running.length;
      running[slot] = { job: j, worker, coreIds: p.coreIds, memoryBytes: p.memoryBytes };
      finishes.push(now + Math.round(task.runSeconds * 1000), slot);
      job.state = 'running';
      job.startedMs = now;
      // The JobManager clears the reason when it claims the job (claimJob).
      job.reason = null;
      selective?.left(j);
      placedSinceSample++;
    }
  };

  /**
   * The plan for a round: first on the pruned snapshot (placements provably the same as on the
   * full one, far cheaper when most of a large fleet is idle), and on the full snapshot when a job
   * stays unplaced, so reasons and their counts are exactly the JobManager's. Pinned tasks name
   * workers, so they always get the full snapshot; so do rounds with a job that waited before.
   */
  const plan_ = (requests: readonly JobRequest[], tryPruned: boolean): Plan => {
    const scheduleOn = (workers: readonly WorkerView[]): Plan =>
      schedule({ version, workers }, requests, spec, {
        nowMs: opts.nowEpochMs + now,
        agingPerSecond: opts.agingPerSecond,
      });
    version++;
    let tasks = 0;
    let pinned = false;
    for (const r of requests) {
      tasks += r.tasks.length;
      for (const t of r.tasks) if (t.pin !== undefined) pinned = true;
    }
    if (tryPruned && !pinned && opts.pruneIdle) {
      const plan = scheduleOn(sim.prunedViews(tasks));
      if (plan.unplaced.length === 0) return plan;
    }
    return scheduleOn(sim.snapshotViews());
  };

  /** Fails a job the scheduler says can never be placed (the JobManager's words). */
  const fail = (job: SimJob, reason: string): void => {
    job.state = 'failed';
    job.reason = `can never be placed: ${reason}`;
    done++;
    selective?.left(byName.get(job.spec.name)!);
  };

  const tried = (batch: readonly number[]): void => {
    for (const j of batch) {
      const job = jobs[j]!;
      job.tried = true;
      if (job.state === 'waiting') selective?.planned(j);
    }
  };

  /** Plans `batch` (job indices, in plan order) and books the placements. */
  const run = (batch: readonly number[]): BatchOutcome => {
    // A job that waited before will most likely wait again: then the pruned try is wasted work.
    const fresh = batch.every((j) => !jobs[j]!.tried);
    const plan = plan_(
      batch.map((j) => jobs[j]!.request),
      fresh,
    );
    apply(plan.placements);
    let failed = 0;
    let blocked = false;
    for (const u of plan.unplaced) {
      const job = jobs[byName.get(u.jobId)!]!;
      job.reason = u.reason;
      if (u.neverFits && sim.workers.length > 0) {
        fail(job, u.reason);
        failed++;
      } else if (
        u.code === 'NO_CAPACITY' &&
        job.spec.tasks.find((t) => t.name === u.taskId)?.node === undefined
      ) {
        blocked = true;
      }
    }
    tried(batch);
    return { placed: plan.placements.length, failed, blocked };
  };

  /** Plans `batch` without booking it, only to fail the jobs that can never be placed. */
  const probe = (batch: readonly number[]): number => {
    const plan = plan_(
      batch.map((j) => jobs[j]!.request),
      false,
    );
    let failed = 0;
    for (const u of plan.unplaced) {
      if (!u.neverFits || sim.workers.length === 0) continue;
      fail(jobs[byName.get(u.jobId)!]!, u.reason);
      failed++;
    }
    tried(batch);
    return failed;
  };

  /**
   * One JobManager round. True when another round at this instant could place more: the window
   * was capped and this round removed jobs from it, so jobs beyond it move in. An uncapped round
   * has already tried every waiting job (the JobManager, too, plans once per trigger).
   */
  const round = (): boolean => {
    const capped = waiting.length > opts.maxRoundJobs;
    const windowLength = capped ? opts.maxRoundJobs : waiting.length;
    const outcome =
      selective === undefined
        ? run(capped ? waiting.slice(0, windowLength) : waiting)
        : selective.round({ waiting, windowLength, nowMs: opts.nowEpochMs + now, run, probe });
    if (outcome.placed === 0 && outcome.failed === 0) return false;
    waiting = waiting.filter((j) => jobs[j]!.state === 'waiting');
    return capped;
  };

  /**
   * The selective rounds leave the reasons of jobs they did not plan as they were. Every round
   * plans the whole window in the JobManager; its last one ran at the last instant, on the fleet
   * as it is now, and placed nothing (else tasks would still finish later): planning the window
   * again now gives its reasons.
   */
  const finalReasons = (): void => {
    const window = waiting.slice(0, opts.maxRoundJobs);
    const plan = plan_(
      window.map((j) => jobs[j]!.request),
      false,
    );
    if (plan.placements.length > 0 || plan.unplaced.some((u) => u.neverFits && sim.workers.length > 0)) {
      throw new Error(
        'simulator: the selective rounds left a job waiting that the last round would have placed',
      );
    }
    for (const u of plan.unplaced) jobs[byName.get(u.jobId)!]!.reason = u.reason;
  };

  const lastArrivalMs = jobs.at(-1)?.spec.arrivalMs ?? 0;
  let lastProgress = performance.now();
  let events = 0;
  const progress = (force: boolean): void => {
    if (options.onProgress === undefined) return;
    if (!force) {
      if ((++events & 1023) !== 0) return;
      const t = performance.now();
      if (t - lastProgress < 250) return;
      lastProgress = t;
    }
    options.onProgress({ nowMs: now, lastArrivalMs, done, jobs: jobs.length, queueDepth: waiting.length });
  };

  sim.touchAll();
  if (Math.min(jobs[0]?.spec.arrivalMs ?? 0, finishes.peekTime()) > 0) {
    // Idle until the first arrival: start every step function at 0.
    sim.drainSamples(0, workerSamples);
    sampleCluster(true);
  }
  for (;;) {
    const arrival = next < jobs.length ? jobs[next]!.spec.arrivalMs : Infinity;
    const t = Math.min(arrival, finishes.peekTime());
    if (t === Infinity) break;
    now = t;
    let changed = false;
    while (finishes.peekTime() === now) {
      const slot = finishes.pop();
      const r = running[slot]!;
      running[slot] = undefined;
      free.push(slot);
      sim.release(r.worker, r.coreIds, r.memoryBytes);
      const job = jobs[r.job]!;
      if (--job.tasksLeft === 0) {
        job.state = 'finished';
        job.finishedMs = now;
        done++;
      }
      changed = true;
    }
    while (next < jobs.length && jobs[next]!.spec.arrivalMs === now) {
      jobs[next]!.state = 'waiting';
      selective?.arrive(next);
      waiting.push(next++);
      changed = true;
    }
    // One round per instant at which something changed, more while a capped window moves on.
    if (changed) while (waiting.length > 0 && round());
    sim.drainSamples(now, workerSamples);
    sampleCluster(false);
    progress(false);
  }
  if (clusterSamples.length === 0 || lastSampleAt !== now) sampleCluster(true);
  if (!opts.replanAll && waiting.length > 0) finalReasons();
  progress(true);

  return {
    mode: 'virtual-time',
    strategy: spec.name,
    source: workload.source,
    config: {
      ...options.config,
      agingPerSecond: opts.agingPerSecond,
      sampleEveryMs: opts.sampleEveryMs,
      maxRoundJobs: opts.maxRoundJobs,
      nowEpochMs: opts.nowEpochMs,
      pruneIdle: opts.pruneIdle,
      replanAll: opts.replanAll,
    },
    startedAtEpochMs: opts.nowEpochMs,
    durationMs: now,
    wallSeconds: (performance.now() - wallStart) / 1000,
    fleet: sim.workers,
    jobs: jobs.map(jobSample),
    workers: workerSamples,
    cluster: clusterSamples,
  };
}
