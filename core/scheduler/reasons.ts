/**
 * Every sentence the scheduler writes into {@link Unplaced.reason}, in one file, as named
 * functions. Each returns a complete {@link Unplaced}, so the shape (which count keys, whether
 * `taskId` is set, `neverFits`) is decided here once for both the fast planner and the reference.
 *
 * Style, after swarmkit's `Pipeline.Explain`: the task and what it needs, a colon, then the filters
 * that rejected workers with their counts, largest count first.
 */
import { cpusetString } from './cpuset-string.js';
import type { GangTask, WorkerShape } from './gang-fit.js';
import type { UnplacedCode, Unplaced } from './types.js';

/** Count keys of a capacity failure, in pipeline (filter) order; see filters.ts. */
export const CAPACITY_COUNT_KEYS = ['notReady', 'fewerCores', 'lowMemory'] as const;
/**
 * The capacity keys with the avoid filter (ready → avoided → cores → memory); `avoided` is
 * present in the counts only when some worker was avoided.
 */
export const AVOID_COUNT_KEYS = ['notReady', 'avoided', 'fewerCores', 'lowMemory'] as const;
/** Count keys of a never-fits failure, in pipeline order. */
export const TOTAL_COUNT_KEYS = ['fewerTotalCores', 'lowTotalMemory'] as const;

/** How many workers each capacity filter rejected for one task. */
export type CapacityCounts = Record<(typeof CAPACITY_COUNT_KEYS)[number], number> & {
  /** Ready workers left out after failed starts of the task's group (only when > 0). */
  avoided?: number;
};
/** How many workers are too small in total for one task, by dimension. */
export type TotalCounts = Record<(typeof TOTAL_COUNT_KEYS)[number], number>;

/** Phrase per count key: [singular, plural] verb phrases after "N worker(s)". */
const COUNT_PHRASES: Readonly<Record<string, readonly [string, string]>> = {
  notReady: ['not ready', 'not ready'],
  avoided: ['avoided after failed starts', 'avoided after failed starts'],
  fewerCores: ['has fewer free cores', 'have fewer free cores'],
  lowMemory: ['has too little free memory', 'have too little free memory'],
  fewerTotalCores: ['has fewer cores in total', 'have fewer cores in total'],
  lowTotalMemory: ['has too little memory in total', 'have too little memory in total'],
};

const BINARY_UNITS = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
] as const;

/** Formats bytes with the largest binary unit not above them, at most 2 decimals ("50 MiB", "1.5 GiB", "0 B"). */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of BINARY_UNITS) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} B`;
}

/** "1 core", "8 cores". */
export function formatCores(n: number): string {
  return n === 1 ? '1 core' : `${n} cores`;
}

/** A short, safe rendering of a bad input value for an INVALID_REQUEST reason. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = typeof value;
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Joins non-zero counts into "12 workers have fewer free cores; 3 have too little free memory;
 * 2 not ready": largest count first, ties in `keys` order.
 */
export function explainCounts(counts: Readonly<Record<string, number>>, keys: readonly string[]): string {
  const present = keys
    .map((key, rank) => ({ key, rank, n: counts[key] ?? 0 }))
    .filter((e) => e.n > 0)
    .sort((a, b) => b.n - a.n || a.rank - b.rank);
  return present
    .map((e, i) => {
      const [one, many] = COUNT_PHRASES[e.key] ?? [e.key, e.key];
      const phrase = e.n === 1 ? one : many;
      return i === 0 ? `${e.n} ${e.n === 1 ? 'worker' : 'workers'} ${phrase}` : `${e.n} ${phrase}`;
    })
    .join('; ');
}

function make(
  jobId: string,
  taskId: string | undefined,
  code: UnplacedCode,
  reason: string,
  counts: Readonly<Record<string, number>>,
  neverFits: boolean,
): Unplaced {
  return taskId === undefined
    ? { jobId, code, reason, counts, neverFits }
    : { jobId, taskId, code, reason, counts, neverFits };
}

function needs(taskId: string, cores: number, memoryBytes: number): string {
  return `task ${taskId} needs ${formatCores(cores)} and ${formatBytes(memoryBytes)}`;
}

/** No ready worker has room now (`NO_CAPACITY`); counts say which filter rejected how many. */
export function noCapacity(
  jobId: string,
  taskId: string,
  cores: number,
  memoryBytes: number,
  counts: CapacityCounts,
): Unplaced {
  const why = explainCounts(counts, AVOID_COUNT_KEYS) || 'the cluster has no workers';
  return make(
    jobId,
    taskId,
    'NO_CAPACITY',
    `${needs(taskId, cores, memoryBytes)}: ${why}`,
    { ...counts },
    false,
  );
}

/** The pinned worker lacks free cores or memory now (`NO_CAPACITY`). */
export function noCapacityOnPinned(
  jobId: string,
  taskId: string,
  cores: number,
  memoryBytes: number,
  workerId: string,
  freeCores: number,
  freeMemoryBytes: number,
): Unplaced {
  const fewerCores = freeCores < cores ? 1 : 0;
  const reason =
    `${needs(taskId, cores, memoryBytes)} on its pinned worker ${workerId}, which has ` +
    `${formatCores(freeCores)} and ${formatBytes(freeMemoryBytes)} free`;
  return make(jobId, taskId, 'NO_CAPACITY', reason, { fewerCores, lowMemory: 1 - fewerCores }, false);
}

/** The task is larger than every worker in total (`NEVER_FITS`). */
export function neverFits(
  jobId: string,
  taskId: string,
  cores: number,
  memoryBytes: number,
  counts: TotalCounts,
): Unplaced {
  const reason =
    `${needs(taskId, cores, memoryBytes)}, more than any worker has in total: ` +
    explainCounts(counts, TOTAL_COUNT_KEYS);
  return make(jobId, taskId, 'NEVER_FITS', reason, { ...counts }, true);
}

/** The task is larger than its pinned worker in total (`NEVER_FITS`). */
export function neverFitsPinned(
  jobId: string,
  taskId: string,
  cores: number,
  memoryBytes: number,
  workerId: string,
  totalCores: number,
  totalMemoryBytes: number,
): Unplaced {
  const fewerTotalCores = totalCores < cores ? 1 : 0;
  const reason =
    `${needs(taskId, cores, memoryBytes)}, more than its pinned worker ${workerId} has in total ` +
    `(${formatCores(totalCores)}, ${formatBytes(totalMemoryBytes)})`;
  return make(
    jobId,
    taskId,
    'NEVER_FITS',
    reason,
    { fewerTotalCores, lowTotalMemory: 1 - fewerTotalCores },
    true,
  );
}

/** "6, 6 and 3"; long lists keep the first 6 and say how many more. */
function listNumbers(values: readonly number[]): string {
  const shown = values.slice(0, 6).map(String);
  if (values.length > 6) return `${shown.join(', ')} and ${values.length - 6} more`;
  return shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)!}`;
}

/** "2 workers of 8 cores and 16 GiB", "5 workers of 8–32 cores and 16–64 GiB" (totals). */
function describeFleet(shapes: readonly WorkerShape[]): { text: string; workers: number; cores: number } {
  let workers = 0;
  let cores = 0;
  let lowCores = Infinity;
  let highCores = 0;
  let lowMemory = Infinity;
  let highMemory = 0;
  for (const s of shapes) {
    workers += s.count;
    cores += s.cores * s.count;
    lowCores = Math.min(lowCores, s.cores);
    highCores = Math.max(highCores, s.cores);
    lowMemory = Math.min(lowMemory, s.memoryBytes);
    highMemory = Math.max(highMemory, s.memoryBytes);
  }
  const range = (low: number, high: number, f: (n: number) => string): string => {
    const [a, b] = [f(low), f(high)];
    if (low === high) return a;
    const unit = (text: string): string => text.replace(/^\S+ /, '');
    return unit(a) === unit(b) ? `${a.replace(/ .*/, '')}–${b}` : `${a}–${b}`;
  };
  const coresText = range(lowCores, highCores, (n) => `${n} cores`);
  const memoryText = range(lowMemory, highMemory, formatBytes);
  const text = `${workers} ${workers === 1 ? 'worker' : 'workers'} of ${coresText} and ${memoryText}`;
  return { text, workers, cores };
}

/**
 * Every task fits some worker, but the job's tasks can never run together on the fleet
 * (`GANG_NEVER_FITS`, see gang-fit.ts): more than the whole cluster, or no assignment of the
 * tasks to the workers holds them all even when every worker is idle.
 * @param shapes the well-formed workers (ready or not) the verdict was reached on
 */
export function gangNeverFits(
  jobId: string,
  tasks: readonly GangTask[],
  shapes: readonly WorkerShape[],
): Unplaced {
  let coresNeeded = 0;
  let memoryNeeded = 0;
  for (const t of tasks) {
    coresNeeded += t.cores;
    memoryNeeded += t.memoryBytes;
  }
  const fleet = describeFleet(shapes);
  const clusterMemory = shapes.reduce((sum, s) => sum + s.memoryBytes * s.count, 0);
  const gang =
    `job ${jobId} needs ${tasks.length} tasks of ${listNumbers(tasks.map((t) => t.cores))} cores` +
    (memoryNeeded > 0 ? ` (${formatBytes(memoryNeeded)} in all)` : '') +
    ' as one gang';
  const why =
    coresNeeded > fleet.cores || memoryNeeded > clusterMemory
      ? `more than the cluster has in all (${formatCores(fleet.cores)} and ${formatBytes(clusterMemory)} ` +
        `on ${fleet.workers} ${fleet.workers === 1 ? 'worker' : 'workers'})`
      : `no way to place them all at once on the ${fleet.text}, even with every core free` +
        (tasks.some((t) => t.pin !== undefined) ? ' and the pinned tasks on their workers' : '');
  return make(
    jobId,
    undefined,
    'GANG_NEVER_FITS',
    `${gang}: ${why}; the cluster can never run it`,
    { tasks: tasks.length, workers: fleet.workers, coresNeeded, clusterCores: fleet.cores },
    true,
  );
}

/** The pin names a worker missing from the snapshot (`PIN_UNKNOWN_WORKER`); it may join later. */
export function pinUnknownWorker(jobId: string, taskId: string, workerId: string): Unplaced {
  const reason = `task ${taskId} is pinned to worker ${JSON.stringify(workerId)}, which is not in the cluster`;
  return make(jobId, taskId, 'PIN_UNKNOWN_WORKER', reason, {}, false);
}

/** The pinned worker is not ready or its view is malformed (`PIN_NOT_READY`). */
export function pinNotReady(jobId: string, taskId: string, workerId: string): Unplaced {
  const reason = `task ${taskId} is pinned to worker ${workerId}, which is not ready`;
  return make(jobId, taskId, 'PIN_NOT_READY', reason, { notReady: 1 }, false);
}

/** Pinned core ids that the worker does not have (`PIN_CORE_OUT_OF_RANGE`). */
export function pinCoreOutOfRange(
  jobId: string,
  taskId: string,
  workerId: string,
  badCoreIds: readonly number[],
  totalCores: number,
  ownCoreIds?: readonly number[],
): Unplaced {
  const has =
    ownCoreIds !== undefined
      ? ownCoreIds.length === 0
        ? 'no cores'
        : `only ${coresWord(ownCoreIds)}`
      : totalCores === 0
        ? 'no cores'
        : totalCores === 1
          ? 'only core 0'
          : `only cores 0-${totalCores - 1}`;
  const reason = `task ${taskId} pins ${coresWord(badCoreIds)} on worker ${workerId}, which has ${has}`;
  return make(jobId, taskId, 'PIN_CORE_OUT_OF_RANGE', reason, { outOfRange: badCoreIds.length }, true);
}

/** Two tasks of one job pin the same core (`PIN_CORE_CONFLICT`, never fits). */
export function pinSameJobConflict(
  jobId: string,
  taskId: string,
  workerId: string,
  coreIds: readonly number[],
  otherTaskId: string,
): Unplaced {
  const reason =
    `task ${taskId} pins ${coresWord(coreIds)} on worker ${workerId}, ` +
    `which task ${otherTaskId} of the same job pins too`;
  return make(jobId, taskId, 'PIN_CORE_CONFLICT', reason, { sameJob: coreIds.length }, true);
}

/** Pinned cores are busy in the snapshot or taken earlier in this plan (`PIN_CORE_CONFLICT`). */
export function pinCoreBusy(
  jobId: string,
  taskId: string,
  workerId: string,
  pinned: readonly number[],
  busy: readonly number[],
  takenInPlan: readonly number[],
): Unplaced {
  const parts: string[] = [];
  if (busy.length > 0) parts.push(`${coresWord(busy)} ${busy.length === 1 ? 'is' : 'are'} busy`);
  if (takenInPlan.length > 0) {
    parts.push(
      `${coresWord(takenInPlan)} ${takenInPlan.length === 1 ? 'was' : 'were'} taken earlier in this plan`,
    );
  }
  const reason = `task ${taskId} pins ${coresWord(pinned)} on worker ${workerId}, but ${parts.join('; ')}`;
  return make(
    jobId,
    taskId,
    'PIN_CORE_CONFLICT',
    reason,
    { busy: busy.length, takenInPlan: takenInPlan.length },
    false,
  );
}

/**
 * `no-scheduler` met a task without a pin (`PIN_REQUIRED`). Not `neverFits`: the job can run once
 * the operator switches strategy, and queued jobs survive a switch.
 */
export function pinRequired(jobId: string, taskId: string): Unplaced {
  const reason = `task ${taskId} is not pinned; the no-scheduler strategy places only tasks that name a worker`;
  return make(jobId, taskId, 'PIN_REQUIRED', reason, {}, false);
}

/** The job has no tasks (`JOB_EMPTY`). */
export function jobEmpty(jobId: string): Unplaced {
  return make(jobId, undefined, 'JOB_EMPTY', `job ${jobId} has no tasks`, {}, true);
}

/** `priority` only: a higher-ranked job waits for capacity and may not be overtaken (`PRIORITY_BLOCKED`). */
export function priorityBlocked(
  jobId: string,
  blockerJobId: string,
  blockerEffectivePriority: number,
): Unplaced {
  const reason =
    `waiting behind job ${blockerJobId} (effective priority ${Number(blockerEffectivePriority.toFixed(3))}), ` +
    'which does not fit yet; the priority strategy lets no lower-ranked job overtake it';
  return make(jobId, undefined, 'PRIORITY_BLOCKED', reason, {}, false);
}

/** A malformed job or task (`INVALID_REQUEST`); `what` is one of the {@link INVALID} messages. */
export function invalidRequest(jobId: string, taskId: string | undefined, what: string): Unplaced {
  const reason = taskId === undefined ? `job ${jobId}: ${what}` : `task ${taskId}: ${what}`;
  return make(jobId, taskId, 'INVALID_REQUEST', reason, {}, true);
}

/** The `what` part of every INVALID_REQUEST reason; positions are 0-based array indices. */
export const INVALID = {
  jobNotObject: (position: number): string => `jobs[${position}] is not an object`,
  jobId: (value: unknown): string => `jobId must be a non-empty string (got ${describeValue(value)})`,
  duplicateJobId: 'the jobId appears more than once in the batch',
  priority: (value: unknown): string => `priority must be a finite number (got ${describeValue(value)})`,
  submittedAtMs: (value: unknown): string =>
    `submittedAtMs must be a finite number (got ${describeValue(value)})`,
  tasks: (value: unknown): string => `tasks must be an array (got ${describeValue(value)})`,
  taskNotObject: (position: number): string => `tasks[${position}] is not an object`,
  taskId: (position: number, value: unknown): string =>
    `tasks[${position}].taskId must be a non-empty string (got ${describeValue(value)})`,
  duplicateTaskId: 'the taskId appears more than once in the job',
  cores: (value: unknown): string => `cores must be a positive integer (got ${describeValue(value)})`,
  memoryBytes: (value: unknown): string =>
    `memoryBytes must be an integer >= 0 (got ${describeValue(value)})`,
  pin: (value: unknown): string =>
    `pin must be an object with a string workerId (got ${describeValue(value)})`,
  pinCoreIds: (value: unknown): string =>
    `pin.coreIds must be distinct integers >= 0 (got ${describeValue(value)})`,
  pinCoreCount: (listed: number, cores: number): string =>
    `pin.coreIds lists ${formatCores(listed)} but the task needs ${formatCores(cores)}`,
  group: (value: unknown): string => `group must be a non-empty string (got ${describeValue(value)})`,
} as const;

function coresWord(ids: readonly number[]): string {
  return `${ids.length === 1 ? 'core' : 'cores'} ${cpusetString(ids)}`;
}
