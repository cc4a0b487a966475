/**
 * The virtual-time simulator: a discrete-event replay of a {@link Workload} on a fleet, running
 * the same scheduling core as the JobManager (`schedule()` on a snapshot of WorkerViews, the
 * strategy by name, all-or-nothing jobs) with no waiting. Events are job arrivals and task
 * finishes; all events of one instant are applied before scheduling, and a round runs only when
 * something changed (a job arrived or capacity freed) and jobs wait. Like the JobManager, a round
 * considers the oldest `maxRoundJobs` waiting jobs (by submission, then name) and fails at once a
 * job that can never fit the fleet, with the scheduler's reason.
 *
 * Deterministic: the same workload, fleet, strategy and options give the same samples (only
 * `wallSeconds` and, without `nowEpochMs`, `startedAtEpochMs` differ). See
 * docs/design/experiments.md for what is and is not modelled.
 */
import { DEFAULT_AGING_PER_SECOND, getStrategy, schedule } from '../../core/scheduler/index.js';
import type { JobRequest, Placement, Plan, WorkerView } from '../../core/scheduler/index.js';
import type { ClusterSample, JobSample, RunResult, WorkerSample } from '../run-result.js';
import type { FleetWorker, Workload, WorkloadJob } from '../workload.js';
import { EventHeap } from './event-heap.js';
import { SimFleet } from './sim-fleet.js';

/** Options of {@link simulate}; the resolved values are recorded in the result's config. */
export interface SimulateOptions {
  /** Priority points per second waited (`priority` strategy). @defaultValue 0.1 */
  agingPerSecond?: number;
  /**
   * Minimum virtual ms between cluster samples; 0 samples every instant at which something
   * happened (exact peaks). @defaultValue 0
   */
  sampleEveryMs?: number;
  /** Recorded in the result's config as given (the caller's own settings). */
  config?: Record<string, unknown>;
  /** Waiting jobs considered per round, oldest first (the JobManager's maxJobsPerRound). @defaultValue 5000 */
  maxRoundJobs?: number;
  /** Virtual epoch of run time 0 (what `schedule` sees as "now"). @defaultValue Date.now() */
  nowEpochMs?: number;
  /**
   * Schedule on a pruned snapshot first (same placements, see `SimFleet.prunedViews`); false
   * always uses the full snapshot (tests compare the two). @defaultValue true
   */
  pruneIdle?: boolean;
}

/** The JobManager's default `maxJobsPerRound`. */
export const DEFAULT_MAX_ROUND_JOBS = 5000;

/** A job's life in the simulation. */
interface SimJob {
  readonly spec: WorkloadJob;
  readonly request: JobRequest;
  readonly cores: number;
  readonly memoryBytes: number;
  state: 'pending' | 'waiting' | 'running' | 'finished' | 'failed';
  startedMs: number | null;
  finishedMs: number | null;
  reason: string | null;
  tasksLeft: number;
}

/** One placed task: what to free when it finishes. */
interface Running {
  readonly job: number;
  readonly worker: number;
  readonly coreIds: readonly number[];
  readonly memoryBytes: number;
}

function checkOptions(o: SimulateOptions): Required<Omit<SimulateOptions, 'config'>> {
  const aging = o.agingPerSecond ?? DEFAULT_AGING_PER_SECOND;
  const every = o.sampleEveryMs ?? 0;
  const cap = o.maxRoundJobs ?? DEFAULT_MAX_ROUND_JOBS;
  if (!(Number.isFinite(aging) && aging >= 0)) {
    throw new RangeError(`simulate: agingPerSecond must be a number >= 0 (got ${aging})`);
  }
  if (!(Number.isFinite(every) && every >= 0)) {
    throw new RangeError(`simulate: sampleEveryMs must be a number >= 0 (got ${every})`);
  }
  if (!(Number.isSafeInteger(cap) && cap >= 1)) {
    throw new RangeError(`simulate: maxRoundJobs must be a positive integer (got ${cap})`);
  }
  return {
    agingPerSecond: aging,
    sampleEveryMs: every,
    maxRoundJobs: cap,
    nowEpochMs: o.nowEpochMs ?? Date.now(),
    pruneIdle: o.pruneIdle ?? true,
  };
}

function simJob(spec: WorkloadJob, epoch: number): SimJob {
  let cores = 0;
  let memoryBytes = 0;
  for (const t of spec.tasks) {
    cores += t.cores;
    memoryBytes += t.memoryBytes;
  }
  return {
    spec,
    request: {
      jobId: spec.name,
      priority: spec.priority,
      submittedAtMs: epoch + spec.arrivalMs,
      tasks: spec.tasks.map((t) => ({
        taskId: t.name,
        cores: t.cores,
        memoryBytes: t.memoryBytes,
        ...(t.node !== undefined ? { pin: { workerId: t.node } } : {}),
      })),
    },
    cores,
    memoryBytes,
    state: 'pending',
    startedMs: null,
    finishedMs: null,
    reason: null,
    tasksLeft: spec.tasks.length,
  };
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
  const opts = checkOptions(options);
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

  /**
   * One JobManager round. True when another round at this instant could place more: the window
   * was capped and this round removed jobs from it, so jobs beyond it move in. An uncapped round
   * has already tried every waiting job (the JobManager, too, plans once per trigger).
   */
  const round = (): boolean => {
    const capped = waiting.length > opts.maxRoundJobs;
    const window = capped ? waiting.slice(0, opts.maxRoundJobs) : waiting;
    // A job that waited before will most likely wait again: then the pruned try is wasted work.
    const fresh = window.every((j) => jobs[j]!.reason === null);
    const plan = plan_(
      window.map((j) => jobs[j]!.request),
      fresh,
    );
    apply(plan.placements);
    let failed = 0;
    for (const u of plan.unplaced) {
      const job = jobs[byName.get(u.jobId)!]!;
      job.reason = u.reason;
      if (u.neverFits && sim.workers.length > 0) {
        job.state = 'failed';
        job.reason = `can never be placed: ${u.reason}`;
        failed++;
      }
    }
    if (plan.placements.length === 0 && failed === 0) return false;
    waiting = waiting.filter((j) => jobs[j]!.state === 'waiting');
    return capped;
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
      }
      changed = true;
    }
    while (next < jobs.length && jobs[next]!.spec.arrivalMs === now) {
      jobs[next]!.state = 'waiting';
      waiting.push(next++);
      changed = true;
    }
    // One round per instant at which something changed, more while a capped window moves on.
    if (changed) while (waiting.length > 0 && round());
    sim.drainSamples(now, workerSamples);
    sampleCluster(false);
  }
  if (clusterSamples.length === 0 || lastSampleAt !== now) sampleCluster(true);

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

function jobSample(j: SimJob): JobSample {
  return {
    name: j.spec.name,
    tasks: j.spec.tasks.length,
    cores: j.cores,
    memoryBytes: j.memoryBytes,
    state: j.state === 'pending' ? 'waiting' : j.state,
    submittedMs: j.spec.arrivalMs,
    scheduledMs: j.startedMs,
    startedMs: j.startedMs,
    finishedMs: j.finishedMs,
    unplacedReason: j.reason,
  };
}
