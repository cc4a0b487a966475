/**
 * Fixture builders and fast-check arbitraries for scheduler tests.
 *
 * Builders take only what a test cares about and default the rest:
 * `aWorker({ id: 'w1', cores: 8, freeCores: [0, 1] })`, `aJob({ jobId: 'j1', tasks: [aTask({ cores: 2 })] })`.
 */
import fc from 'fast-check';
import type {
  ClusterSnapshot,
  JobRequest,
  TaskPin,
  TaskRequest,
  WorkerView,
} from '../../core/scheduler/types.js';

/** Bytes in a mebibyte / gibibyte. */
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

/** What a test may say about a worker. */
export interface WorkerSpec {
  readonly id?: string;
  readonly ready?: boolean;
  /** Total cores. @defaultValue 8 */
  readonly cores?: number;
  /** Free core ids, or how many of the lowest ids are free. @defaultValue all */
  readonly freeCores?: readonly number[] | number;
  /** Total memory. @defaultValue 16 GiB */
  readonly memoryBytes?: number;
  /** Free memory. @defaultValue all */
  readonly freeMemoryBytes?: number;
}

/** A worker view; by default ready, 8 cores all free, 16 GiB all free. */
export function aWorker(spec: WorkerSpec = {}): WorkerView {
  const cores = spec.cores ?? 8;
  const free = spec.freeCores ?? cores;
  const memory = spec.memoryBytes ?? 16 * GiB;
  return {
    id: spec.id ?? 'w0',
    ready: spec.ready ?? true,
    totalCores: cores,
    freeCoreIds: typeof free === 'number' ? Array.from({ length: free }, (_, i) => i) : free,
    totalMemoryBytes: memory,
    freeMemoryBytes: spec.freeMemoryBytes ?? memory,
  };
}

/** `n` workers w0..w(n-1), all built from the same spec. */
export function aFleet(n: number, spec: Omit<WorkerSpec, 'id'> = {}): WorkerView[] {
  return Array.from({ length: n }, (_, i) => aWorker({ ...spec, id: `w${i}` }));
}

/** A snapshot of these workers, version 1 unless given. */
export function aSnapshot(workers: readonly WorkerView[], version = 1): ClusterSnapshot {
  return { version, workers };
}

/** What a test may say about a task. */
export interface TaskSpec {
  readonly taskId?: string;
  readonly cores?: number;
  readonly memoryBytes?: number;
  readonly pin?: TaskPin;
}

/** A task; by default `t0`, 1 core, 0 bytes, unpinned. */
export function aTask(spec: TaskSpec = {}): TaskRequest {
  const task = { taskId: spec.taskId ?? 't0', cores: spec.cores ?? 1, memoryBytes: spec.memoryBytes ?? 0 };
  return spec.pin === undefined ? task : { ...task, pin: spec.pin };
}

/** What a test may say about a job. */
export interface JobSpec {
  readonly jobId?: string;
  /** Explicit tasks, or the number of identical tasks to make (ids `<job>_task1..n`). */
  readonly tasks?: readonly TaskRequest[] | number;
  /** For generated tasks. @defaultValue 1 */
  readonly cores?: number;
  /** For generated tasks. @defaultValue 0 */
  readonly memoryBytes?: number;
  readonly priority?: number;
  readonly submittedAtMs?: number;
}

/** A job; by default `j0` with one 1-core task, priority 0, submitted at 0. */
export function aJob(spec: JobSpec = {}): JobRequest {
  const jobId = spec.jobId ?? 'j0';
  const tasks =
    typeof spec.tasks === 'object'
      ? spec.tasks
      : Array.from({ length: spec.tasks ?? 1 }, (_, i) =>
          aTask({
            taskId: `${jobId}_task${i + 1}`,
            cores: spec.cores ?? 1,
            memoryBytes: spec.memoryBytes ?? 0,
          }),
        );
  return { jobId, tasks, priority: spec.priority ?? 0, submittedAtMs: spec.submittedAtMs ?? 0 };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries. Sizes are small so that conflicts, fragmentation and exhaustion are common.

/** Worker ids pins draw from (plus `ghost`, which no fleet has); fleets are named w0, w1, … */
const WORKER_IDS = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7'];

const arbWorker = (id: string): fc.Arbitrary<WorkerView> =>
  fc
    .record({
      ready: fc.integer({ min: 0, max: 4 }).map((x) => x !== 0),
      cores: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 16 }) },
        { weight: 1, arbitrary: fc.integer({ min: 33, max: 70 }) },
      ),
      freeMask: fc.array(
        fc.integer({ min: 0, max: 3 }).map((x) => x !== 0),
        { minLength: 70, maxLength: 70 },
      ),
      memoryUnits: fc.integer({ min: 0, max: 32 }),
      freeFraction: fc.integer({ min: 0, max: 4 }),
      malformed: fc.integer({ min: 0, max: 30 }),
      holes: fc.integer({ min: 0, max: 5 }),
      ownedMask: fc.array(fc.boolean(), { minLength: 70, maxLength: 70 }),
    })
    .map(({ ready, cores, freeMask, memoryUnits, freeFraction, malformed, holes, ownedMask }) => {
      const total = memoryUnits * MiB;
      // About 1 in 3 workers owns only some ids of its id space, as an agent whose cpuset does
      // not start at 0: the upper half ("4-7" of 0-7) or scattered ids; the rest are never free.
      const owned =
        holes === 0
          ? Array.from({ length: cores - Math.floor(cores / 2) }, (_, i) => Math.floor(cores / 2) + i)
          : holes === 1
            ? ownedMask.slice(0, cores).flatMap((own, i) => (own ? [i] : []))
            : undefined;
      const ids = owned ?? Array.from({ length: cores }, (_, i) => i);
      const view: WorkerView = {
        id,
        ready,
        totalCores: cores,
        ...(owned === undefined ? {} : { coreCount: owned.length }),
        // Most partial workers say which ids they own; some only how many (pins then unjudged).
        ...(owned === undefined || holes === 1 ? {} : { ownCoreIds: owned }),
        freeCoreIds: ids.filter((i) => freeMask[i]),
        totalMemoryBytes: total,
        freeMemoryBytes: Math.floor((total * freeFraction) / 4 / MiB) * MiB,
      };
      // About 1 in 30 views is malformed in some way the scheduler must not trust.
      if (malformed === 0) return { ...view, freeMemoryBytes: total + MiB };
      if (malformed === 1) return { ...view, freeCoreIds: [...view.freeCoreIds].reverse().concat([cores]) };
      // A core count beyond the id space, or below the number of free ids.
      if (malformed === 2) return { ...view, coreCount: cores + 1 };
      if (malformed === 3 && view.freeCoreIds.length > 0) {
        return { ...view, coreCount: view.freeCoreIds.length - 1 };
      }
      return view;
    });

/**
 * A fleet of `min..max` workers named w0, w1, …: not-ready ones, fragmented free cores, some with
 * more than 32 cores, some owning only part of their id space (`coreCount`), about 1 in 15
 * malformed, and now and then a repeated id.
 */
export function arbSnapshotOf(min: number, max: number): fc.Arbitrary<ClusterSnapshot> {
  return fc
    .tuple(
      fc.oneof(fc.integer({ min, max }), fc.integer({ min: Math.min(max, min + 3), max })),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 15 }),
    )
    .chain(([n, version, repeat]) =>
      fc
        .tuple(
          ...Array.from({ length: n }, (_, i) => arbWorker(repeat === 0 && i > 0 ? `w${i - 1}` : `w${i}`)),
        )
        .map((workers) => ({ version, workers })),
    );
}

/**
 * One worker view named w0..w13 (ids that do not sort in numeric order), drawn like a fleet's
 * workers: for random histories of a live index, where the same id comes back changed.
 */
export const arbWorkerView: fc.Arbitrary<WorkerView> = fc
  .integer({ min: 0, max: 13 })
  .chain((i) => arbWorker(`w${i}`));

/** A small fleet (0..10 workers), where conflicts and exhaustion are common. */
export const arbSnapshot = arbSnapshotOf(0, 10);

const arbPinnedWorker = fc.constantFrom(...WORKER_IDS.slice(0, 6), 'ghost');

/** Per-task pins: mostly none, sometimes a worker, sometimes a worker and exact cores. */
const arbPin: fc.Arbitrary<TaskPin | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.record({ workerId: arbPinnedWorker }) },
  {
    weight: 2,
    arbitrary: fc.record({
      workerId: arbPinnedWorker,
      coreIds: fc.uniqueArray(fc.integer({ min: 0, max: 13 }), { minLength: 1, maxLength: 4 }),
    }),
  },
);

const arbCores = fc.oneof(
  { weight: 60, arbitrary: fc.integer({ min: 1, max: 4 }) },
  { weight: 20, arbitrary: fc.integer({ min: 5, max: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, Number.NaN, 40) },
);

const arbMemory = fc.oneof(
  { weight: 80, arbitrary: fc.integer({ min: 0, max: 6 }).map((units) => units * MiB) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0.5, 20 * MiB) },
);

/**
 * Pins with explicit cores usually list exactly `cores` distinct ids, as a client would:
 * `first + 2i mod 14` is distinct for i < 7. Invalid `cores` keep the drawn list.
 */
function fitPin(pin: TaskPin, cores: number): TaskPin {
  const first = pin.coreIds?.[0];
  if (first === undefined || !Number.isInteger(cores) || cores < 1 || cores > 6) return pin;
  return { ...pin, coreIds: Array.from({ length: cores }, (_, i) => (first + i * 2) % 14) };
}

const arbTask = (taskId: string, jobPin: TaskPin | undefined): fc.Arbitrary<TaskRequest> =>
  fc.record({ cores: arbCores, memoryBytes: arbMemory, pin: arbPin }).map(({ cores, memoryBytes, pin }) => {
    const chosen = jobPin ?? pin;
    const task = { taskId, cores, memoryBytes };
    return chosen === undefined ? task : { ...task, pin: fitPin(chosen, cores) };
  });

/**
 * A batch of up to `maxJobs` jobs of 0..5 tasks: pins (some to unknown workers, some conflicting
 * inside a job or across jobs), zero-memory tasks, a few invalid tasks, empty jobs and repeated ids.
 */
export function arbBatchOf(maxJobs: number): fc.Arbitrary<JobRequest[]> {
  return fc
    .array(
      fc.record({
        taskCount: fc.oneof(
          { weight: 30, arbitrary: fc.integer({ min: 1, max: 5 }) },
          { weight: 1, arbitrary: fc.constant(0) },
        ),
        priority: fc.integer({ min: -5, max: 5 }),
        submittedAtMs: fc.integer({ min: 0, max: 100_000 }),
        duplicateId: fc.integer({ min: 0, max: 40 }),
        duplicateTask: fc.integer({ min: 0, max: 60 }),
        // 1 in 8 jobs pins every task to one worker, with cores from a narrow range: self-conflicts.
        jobPin: fc.oneof(
          { weight: 7, arbitrary: fc.constant(undefined) },
          {
            weight: 1,
            arbitrary: fc.record({
              workerId: fc.constantFrom(...WORKER_IDS.slice(0, 4)),
              coreIds: fc.tuple(fc.integer({ min: 0, max: 5 })),
            }),
          },
        ),
      }),
      { maxLength: maxJobs },
    )
    .chain((jobs) =>
      fc.tuple(
        ...jobs.map((job, j) => {
          const jobId = job.duplicateId === 0 && j > 0 ? `j${j - 1}` : `j${j}`;
          return fc
            .tuple(
              ...Array.from({ length: job.taskCount }, (_, t) =>
                arbTask(`${jobId}_task${t + 1}`, job.jobPin),
              ),
            )
            .map((tasks) => ({
              jobId,
              priority: job.priority,
              submittedAtMs: job.submittedAtMs,
              tasks: job.duplicateTask === 0 && tasks.length > 1 ? [...tasks, tasks[0]!] : tasks,
            }));
        }),
      ),
    );
}

/** A batch of up to 8 jobs. */
export const arbBatch = arbBatchOf(8);

/** A `nowMs` after every generated submission. */
export const arbNowMs = fc.integer({ min: 100_000, max: 400_000 });

/** Groups the grouped arbitraries draw from: two shared ones and some jobs' default groups. */
const GROUPS = ['g0', 'g1', 'j0', 'j1', 'j2'];

/**
 * A batch of up to `maxJobs` jobs whose tasks sometimes name a group (`g0`, `g1`); the others
 * fall back to their job's id.
 */
export function arbGroupedBatchOf(maxJobs: number): fc.Arbitrary<JobRequest[]> {
  return arbBatchOf(maxJobs).chain((jobs) =>
    fc.tuple(
      ...jobs.map((job) =>
        fc.tuple(...job.tasks.map(() => fc.constantFrom(undefined, undefined, 'g0', 'g1'))).map((groups) => ({
          ...job,
          tasks: job.tasks.map((t, i) => (groups[i] === undefined ? t : { ...t, group: groups[i] })),
        })),
      ),
    ),
  );
}

/** Instances already booked and workers avoided per group, over ids w0..w13 (and `ghost`). */
export const arbGroupOptions: fc.Arbitrary<{
  groupInstances: Record<string, Record<string, number>>;
  avoid: Record<string, string[]>;
}> = fc.record({
  groupInstances: fc.dictionary(
    fc.constantFrom(...GROUPS),
    fc.dictionary(
      fc.constantFrom(...Array.from({ length: 14 }, (_, i) => `w${i}`), 'ghost'),
      fc.integer({ min: 1, max: 3 }),
    ),
  ),
  avoid: fc.dictionary(
    fc.constantFrom(...GROUPS),
    fc.array(fc.constantFrom(...Array.from({ length: 14 }, (_, i) => `w${i}`), 'ghost'), { maxLength: 4 }),
  ),
});
