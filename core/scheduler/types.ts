/**
 * The scheduler's data model: what goes in (a {@link ClusterSnapshot} and a batch of
 * {@link JobRequest}s) and what comes out (a {@link Plan}). Everything here is plain, serialisable,
 * read-only data; see docs/design/scheduler.md for the pipeline and the glossary.
 */

/**
 * One worker as the scheduler sees it at snapshot time.
 *
 * A view that breaks any rule below is *malformed*: the scheduler treats it as a not-ready worker
 * with zero capacity instead of trusting it (see {@link MAX_WORKER_CORES}).
 */
export interface WorkerView {
  /** Unique within a snapshot; a later view repeating an earlier id is malformed. */
  readonly id: string;
  /** Only workers with `ready === true` receive tasks. */
  readonly ready: boolean;
  /**
   * The id space of the worker's cores, ids `0 .. totalCores - 1`; an integer in
   * `0 .. MAX_WORKER_CORES`. Sizes the per-worker bitsets; for capacity read {@link coresOf}.
   */
  readonly totalCores: number;
  /**
   * How many ids in `0 .. totalCores - 1` the worker really has, when fewer than `totalCores`: a
   * worker whose cpuset does not start at 0 (e.g. "4-7") is described up to its highest id, and the
   * ids it lacks are never free. Every "could this ever fit" judgement uses this count, so such a
   * worker is never taken for bigger than it is. Omitted means `totalCores`; otherwise an integer
   * in `0 .. totalCores`, at least the number of free ids.
   */
  readonly coreCount?: number | undefined;
  /**
   * The ids the worker really has, strictly ascending, when they are not all of
   * `0 .. totalCores - 1` (e.g. [4, 5, 6, 7]); their number is {@link coresOf}, and every free id is
   * one of them. A pin to an id outside them can never be met (PIN_CORE_OUT_OF_RANGE). Omitted:
   * not known beyond `coreCount`, and such pins are not judged.
   */
  readonly ownCoreIds?: readonly number[] | undefined;
  /** Free core ids, strictly ascending, each in `0 .. totalCores - 1`. */
  readonly freeCoreIds: readonly number[];
  /** Memory on the machine in bytes; a safe integer ≥ 0. */
  readonly totalMemoryBytes: number;
  /** Free memory in bytes; a safe integer in `0 .. totalMemoryBytes`. */
  readonly freeMemoryBytes: number;
}

/** A read-only picture of the fleet that one {@link Plan} is computed against. */
export interface ClusterSnapshot {
  /** Copied into {@link Plan.snapshotVersion} so the applier can detect a stale plan. */
  readonly version: number;
  /** The order of this array is the worker index order used for every tie-break. */
  readonly workers: readonly WorkerView[];
}

/** A client's wish to run a task on a named worker, optionally on exact cores. */
export interface TaskPin {
  readonly workerId: string;
  /**
   * Exact core ids (distinct, as many as the task's `cores`); omitted or undefined lets the
   * scheduler choose the cores on that worker by the core rule.
   */
  readonly coreIds?: readonly number[] | undefined;
}

/** One container of a job, as the scheduler needs it. */
export interface TaskRequest {
  /** Unique within its job. */
  readonly taskId: string;
  /** Whole cores; a positive safe integer. */
  readonly cores: number;
  /** Memory limit in bytes; a safe integer ≥ 0 (0 means "no memory reservation"). */
  readonly memoryBytes: number;
  /** Set to place the task on one worker (and optionally on exact cores). */
  readonly pin?: TaskPin | undefined;
  /**
   * The task's group for the `spread` choice and for start-failure avoidance: a service name, or
   * a job's `spreadGroup`. A non-empty string; omitted or undefined means the job's `jobId`.
   */
  readonly group?: string | undefined;
}

/** A job: tasks that are placed all together or not at all. */
export interface JobRequest {
  /** Unique within a batch. */
  readonly jobId: string;
  /** Tasks in submission order; a job without tasks is unplaced with `JOB_EMPTY`. */
  readonly tasks: readonly TaskRequest[];
  /** Higher runs first under the `priority` strategy; any finite number. */
  readonly priority: number;
  /** When the job was submitted, in ms since the epoch; drives aging under `priority`. */
  readonly submittedAtMs: number;
}

/** Per-call inputs that are not part of the snapshot or the batch. */
export interface ScheduleOptions {
  /** "Now" in ms since the epoch, passed in so the scheduler never reads a clock. */
  readonly nowMs: number;
  /**
   * Priority points a job gains per second it has waited (`priority` strategy only); a finite
   * number ≥ 0.
   * @defaultValue {@link DEFAULT_AGING_PER_SECOND} (0.1, as `scheduler.agingPerSecond` in config)
   */
  readonly agingPerSecond?: number;
  /**
   * Instances already booked per group: group → worker id → count (a positive safe integer). The
   * `spread` choice counts these plus the ones placed earlier in the same plan. Ids that are not in
   * the snapshot are ignored. Only groups of the batch need to be listed.
   */
  readonly groupInstances?: Readonly<Record<string, Readonly<Record<string, number>>>> | undefined;
  /**
   * Workers to avoid per group: group → worker ids (after failed starts there; see
   * docs/design/scheduler.md, "Retry-next-node"). Unpinned tasks of the group are not placed on
   * them in any strategy; a task that fits only there is NO_CAPACITY with an `avoided` count.
   */
  readonly avoid?: Readonly<Record<string, readonly string[]>> | undefined;
}

/** Priority points gained per second waited when {@link ScheduleOptions.agingPerSecond} is unset. */
export const DEFAULT_AGING_PER_SECOND = 0.1;

/** Largest `totalCores` a well-formed worker view may claim; bounds per-worker bitset memory. */
export const MAX_WORKER_CORES = 4096;

/**
 * The cores a worker has in total ({@link WorkerView.coreCount}, else `totalCores`): the one
 * reading for capacity, as `totalCores` is only the id space.
 */
export function coresOf(view: WorkerView): number {
  return view.coreCount ?? view.totalCores;
}

/** Whether core `id` is one of the worker's own ids (see {@link WorkerView.ownCoreIds}). */
export function ownsCore(view: WorkerView, id: number): boolean {
  if (id < 0 || id >= view.totalCores) return false;
  const own = view.ownCoreIds;
  if (own === undefined) return true;
  let lo = 0;
  let hi = own.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = own[mid] as number;
    if (x === id) return true;
    if (x < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** One task placed on one worker, on exact cores. */
export interface Placement {
  readonly jobId: string;
  readonly taskId: string;
  readonly workerId: string;
  /** Strictly ascending; format with `cpusetString` for Docker's `--cpuset-cpus`. */
  readonly coreIds: readonly number[];
  readonly memoryBytes: number;
}

/** Every reason a job can be left unplaced; stable, never renamed or reused. */
export const UNPLACED_CODES = [
  /** No ready worker has the free cores and memory now; it may later. */
  'NO_CAPACITY',
  /** A task is larger than every worker's total capacity (or its pinned worker's). */
  'NEVER_FITS',
  /** A pin names a worker that is not in the snapshot. */
  'PIN_UNKNOWN_WORKER',
  /** A pinned core is busy, or another task of the same job pins it too. */
  'PIN_CORE_CONFLICT',
  /** A pinned core id does not exist on the pinned worker. */
  'PIN_CORE_OUT_OF_RANGE',
  /** The pinned worker is not ready (or its view is malformed). */
  'PIN_NOT_READY',
  /** The `no-scheduler` strategy needs every task pinned. */
  'PIN_REQUIRED',
  /** A field of the job or of a task is malformed. */
  'INVALID_REQUEST',
  /** The job has no tasks. */
  'JOB_EMPTY',
  /** `priority` only: a higher-ranked job is waiting for capacity, and nobody may overtake it. */
  'PRIORITY_BLOCKED',
  /**
   * Every task fits some worker, but the tasks can never run together: no assignment to the
   * workers (ready or not, every core idle) holds them all, or they need more than the cluster.
   */
  'GANG_NEVER_FITS',
] as const;

/** A stable code saying why a job was left unplaced; see {@link UNPLACED_CODES}. */
export type UnplacedCode = (typeof UNPLACED_CODES)[number];

/** Why one job was not placed. A plan holds exactly one of these per unplaced job. */
export interface Unplaced {
  readonly jobId: string;
  /** The task that decided the outcome; absent for job-level reasons. */
  readonly taskId?: string;
  readonly code: UnplacedCode;
  /** One readable sentence, e.g. "task t2 needs 8 cores and 50 MiB: 12 workers have fewer free cores; …". */
  readonly reason: string;
  /** The numbers behind `reason`, keyed by filter (e.g. `{ notReady: 2, fewerCores: 12, lowMemory: 3 }`). */
  readonly counts: Readonly<Record<string, number>>;
  /** True when retrying cannot help with the current fleet, so the caller may fail the job now. */
  readonly neverFits: boolean;
}

/** The scheduler's answer: plain data, applied (and re-checked) elsewhere. */
export interface Plan {
  /** The {@link ClusterSnapshot.version} this plan was computed against. */
  readonly snapshotVersion: number;
  /** The strategy name. */
  readonly strategy: string;
  /** Committed placements in the order they were decided; rolled-back jobs leave no trace. */
  readonly placements: readonly Placement[];
  /** One entry per unplaced job, in the order the jobs were given. */
  readonly unplaced: readonly Unplaced[];
}
