/**
 * The reference scheduler: the same semantics as core/scheduler's `schedule`, written as plain
 * scans over every worker with no index, so that it is obviously correct. Property tests use it as
 * the oracle (the fast plan must deep-equal this one) and the benchmark as the baseline.
 *
 * It shares with the fast planner only data and wording: the types, the strategy registry (which
 * ordering and choice a name means), the capacity filters' predicates, the reason builders, and
 * the gang check (`gangFit`, which has its own brute-force oracle in gang-fit.test.ts).
 * Validation, pre-checks, orderings, choices, the core rule, rollback and the second chances are
 * written again here.
 */
import { firstFailingFilter, type WorkerState } from '../../core/scheduler/filters.js';
import { gangFit, sortShapes, type GangTask, type WorkerShape } from '../../core/scheduler/gang-fit.js';
import {
  INVALID,
  gangNeverFits,
  invalidRequest,
  jobEmpty,
  neverFits,
  neverFitsPinned,
  noCapacity,
  noCapacityOnPinned,
  pinCoreBusy,
  pinCoreOutOfRange,
  pinNotReady,
  pinRequired,
  pinSameJobConflict,
  pinUnknownWorker,
  priorityBlocked,
  type CapacityCounts,
} from '../../core/scheduler/reasons.js';
import { getStrategy, type Strategy } from '../../core/scheduler/strategy-registry.js';
import {
  DEFAULT_AGING_PER_SECOND,
  MAX_WORKER_CORES,
  type ClusterSnapshot,
  type JobRequest,
  type Placement,
  type Plan,
  type ScheduleOptions,
  type TaskRequest,
  type Unplaced,
  type WorkerView,
} from '../../core/scheduler/types.js';

interface RefWorker {
  readonly view: WorkerView;
  readonly wellFormed: boolean;
  readonly usable: boolean;
  readonly snapshotFree: ReadonlySet<number>;
  free: Set<number>;
  freeMemory: number;
}

interface RefTask {
  readonly jobIndex: number;
  readonly position: number;
  readonly task: TaskRequest;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isSafeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The cores a worker has in total: its core count when given, else its whole id space. */
const ownCores = (v: WorkerView): number => (v.coreCount === undefined ? v.totalCores : v.coreCount);

function wellFormed(view: WorkerView, earlierIds: readonly string[]): boolean {
  if (!isObj(view) || typeof view.id !== 'string' || earlierIds.includes(view.id)) return false;
  const v = view;
  if (!isSafeInt(v.totalCores) || v.totalCores < 0 || v.totalCores > MAX_WORKER_CORES) return false;
  if (v.coreCount !== undefined && (!isSafeInt(v.coreCount) || v.coreCount < 0 || v.coreCount > v.totalCores))
    return false;
  if (!isSafeInt(v.totalMemoryBytes) || v.totalMemoryBytes < 0) return false;
  if (!isSafeInt(v.freeMemoryBytes) || v.freeMemoryBytes < 0 || v.freeMemoryBytes > v.totalMemoryBytes)
    return false;
  if (!Array.isArray(v.freeCoreIds) || v.freeCoreIds.length > ownCores(v)) return false;
  const ids: unknown[] = [...v.freeCoreIds];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= v.totalCores) return false;
    if (i > 0 && id <= (ids[i - 1] as number)) return false;
  }
  if (v.ownCoreIds !== undefined) {
    const own: unknown[] = Array.isArray(v.ownCoreIds) ? [...v.ownCoreIds] : [];
    if (!Array.isArray(v.ownCoreIds) || own.length !== ownCores(v)) return false;
    for (let i = 0; i < own.length; i++) {
      const id = own[i];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= v.totalCores) return false;
      if (i > 0 && id <= (own[i - 1] as number)) return false;
    }
    if (ids.some((id) => !own.includes(id))) return false;
  }
  return true;
}

/** Whether the worker has core `id`: in its id space and, when it lists them, one of its own. */
const owns = (v: WorkerView, id: number): boolean =>
  id >= 0 && id < v.totalCores && (v.ownCoreIds === undefined || v.ownCoreIds.includes(id));

function validate(job: unknown, position: number, seen: string[]): Unplaced | undefined {
  if (!isObj(job)) return invalidRequest(`jobs[${position}]`, undefined, INVALID.jobNotObject(position));
  const jobId = job['jobId'];
  if (typeof jobId !== 'string' || jobId === '') {
    return invalidRequest(`jobs[${position}]`, undefined, INVALID.jobId(jobId));
  }
  if (seen.includes(jobId)) return invalidRequest(jobId, undefined, INVALID.duplicateJobId);
  seen.push(jobId);
  const priority = job['priority'];
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    return invalidRequest(jobId, undefined, INVALID.priority(priority));
  }
  const submitted = job['submittedAtMs'];
  if (typeof submitted !== 'number' || !Number.isFinite(submitted)) {
    return invalidRequest(jobId, undefined, INVALID.submittedAtMs(submitted));
  }
  const tasks = job['tasks'];
  if (!Array.isArray(tasks)) return invalidRequest(jobId, undefined, INVALID.tasks(tasks));
  if (tasks.length === 0) return jobEmpty(jobId);
  const taskIds: string[] = [];
  for (let t = 0; t < tasks.length; t++) {
    const task: unknown = tasks[t];
    if (!isObj(task)) return invalidRequest(jobId, undefined, INVALID.taskNotObject(t));
    const taskId = task['taskId'];
    if (typeof taskId !== 'string' || taskId === '')
      return invalidRequest(jobId, undefined, INVALID.taskId(t, taskId));
    if (taskIds.includes(taskId)) return invalidRequest(jobId, taskId, INVALID.duplicateTaskId);
    taskIds.push(taskId);
    const cores = task['cores'];
    if (!isSafeInt(cores) || cores < 1) return invalidRequest(jobId, taskId, INVALID.cores(cores));
    const memory = task['memoryBytes'];
    if (!isSafeInt(memory) || memory < 0) return invalidRequest(jobId, taskId, INVALID.memoryBytes(memory));
    const group = task['group'];
    if (group !== undefined && (typeof group !== 'string' || group === ''))
      return invalidRequest(jobId, taskId, INVALID.group(group));
    const pin = task['pin'];
    if (pin === undefined) continue;
    if (!isObj(pin) || typeof pin['workerId'] !== 'string')
      return invalidRequest(jobId, taskId, INVALID.pin(pin));
    const coreIds = pin['coreIds'];
    if (coreIds === undefined) continue;
    const ok =
      Array.isArray(coreIds) &&
      Array.from(coreIds as unknown[]).every(
        (id, i, all) => isSafeInt(id) && id >= 0 && all.indexOf(id) === i,
      );
    if (!ok) return invalidRequest(jobId, taskId, INVALID.pinCoreIds(coreIds));
    if (coreIds.length !== cores)
      return invalidRequest(jobId, taskId, INVALID.pinCoreCount(coreIds.length, cores));
  }
  return undefined;
}

function precheck(job: JobRequest, workers: readonly RefWorker[], requirePin: boolean): Unplaced | undefined {
  const formed = workers.filter((w) => w.wellFormed);
  for (let t = 0; t < job.tasks.length; t++) {
    const { taskId, cores, memoryBytes: memory, pin } = job.tasks[t]!;
    if (pin === undefined) {
      if (requirePin) return pinRequired(job.jobId, taskId);
      const fits =
        formed.length === 0 ||
        formed.some((w) => ownCores(w.view) >= cores && w.view.totalMemoryBytes >= memory);
      if (!fits) {
        // Malformed views count as workers with 0 cores and 0 bytes.
        const fewer = workers.filter((w) => !w.wellFormed || ownCores(w.view) < cores).length;
        const counts = { fewerTotalCores: fewer, lowTotalMemory: workers.length - fewer };
        return neverFits(job.jobId, taskId, cores, memory, counts);
      }
      continue;
    }
    const w = workers.find((x) => isObj(x.view) && x.view.id === pin.workerId);
    if (w === undefined) return pinUnknownWorker(job.jobId, taskId, pin.workerId);
    if (!w.wellFormed) return pinNotReady(job.jobId, taskId, pin.workerId);
    const v = w.view;
    const outside = (pin.coreIds ?? []).filter((id) => !owns(v, id)).sort((a, b) => a - b);
    if (outside.length > 0)
      return pinCoreOutOfRange(job.jobId, taskId, v.id, outside, v.totalCores, v.ownCoreIds);
    if (cores > ownCores(v) || memory > v.totalMemoryBytes) {
      return neverFitsPinned(job.jobId, taskId, cores, memory, v.id, ownCores(v), v.totalMemoryBytes);
    }
    if (!w.usable) return pinNotReady(job.jobId, taskId, v.id);
    if (pin.coreIds === undefined) continue;
    for (let s = 0; s < t; s++) {
      const other = job.tasks[s]!;
      if (other.pin?.workerId !== pin.workerId || other.pin.coreIds === undefined) continue;
      const theirs = other.pin.coreIds;
      const shared = pin.coreIds.filter((id) => theirs.includes(id)).sort((a, b) => a - b);
      if (shared.length > 0) return pinSameJobConflict(job.jobId, taskId, v.id, shared, other.taskId);
    }
  }
  return gangCheck(job, workers);
}

function effective(job: JobRequest, nowMs: number, aging: number): number {
  return job.priority + aging * (Math.max(0, nowMs - job.submittedAtMs) / 1000);
}

function order(
  spec: Strategy,
  jobs: readonly JobRequest[],
  eligible: number[],
  nowMs: number,
  aging: number,
): RefTask[] {
  const explicitFirst = (a: RefTask, b: RefTask): number =>
    Number(b.task.pin?.coreIds !== undefined) - Number(a.task.pin?.coreIds !== undefined);
  const tasksOf = (j: number): RefTask[] =>
    jobs[j]!.tasks.map((task, position) => ({ jobIndex: j, position, task })).sort(explicitFirst);
  if (spec.ordering === 'decreasing') {
    return eligible
      .flatMap((j) => jobs[j]!.tasks.map((task, position) => ({ jobIndex: j, position, task })))
      .sort(
        (a, b) =>
          explicitFirst(a, b) || b.task.cores - a.task.cores || b.task.memoryBytes - a.task.memoryBytes,
      );
  }
  let jobOrder = eligible;
  if (spec.ordering === 'priority-aged') {
    jobOrder = [...eligible].sort((a, b) => {
      const [ja, jb] = [jobs[a]!, jobs[b]!];
      const [ea, eb] = [effective(ja, nowMs, aging), effective(jb, nowMs, aging)];
      if (ea !== eb) return ea > eb ? -1 : 1;
      if (ja.submittedAtMs !== jb.submittedAtMs) return ja.submittedAtMs < jb.submittedAtMs ? -1 : 1;
      return ja.jobId < jb.jobId ? -1 : 1;
    });
  }
  return jobOrder.flatMap(tasksOf);
}

const stateOf = (w: RefWorker): WorkerState => ({
  usable: w.usable,
  freeCores: w.free.size,
  freeMemoryBytes: w.freeMemory,
});

/** Instances of a group per worker (booked, plus placed earlier in the plan), and avoided workers. */
interface RefGroups {
  readonly instances: Map<string, Map<RefWorker, number>>;
  readonly avoid: Map<string, Set<RefWorker>>;
}

function choose(
  spec: Strategy,
  workers: readonly RefWorker[],
  task: TaskRequest,
  group: string,
  groups: RefGroups,
): RefWorker | undefined {
  const avoided = groups.avoid.get(group);
  const feasible = workers.filter(
    (w) => !avoided?.has(w) && firstFailingFilter(stateOf(w), task) === undefined,
  );
  if (feasible.length === 0) return undefined;
  if (spec.choice === 'spread') {
    const count = (w: RefWorker): number => groups.instances.get(group)?.get(w) ?? 0;
    // Stable sort: fewest instances, then most free cores, then worker index.
    return [...feasible].sort((a, b) => count(a) - count(b) || b.free.size - a.free.size)[0];
  }
  if (spec.choice === 'first-fit') return feasible[0];
  // Array.prototype.sort is stable, so equal free-core counts keep worker index order.
  const byCores = [...feasible].sort((a, b) => a.free.size - b.free.size);
  if (spec.choice === 'best-fit') return byCores[0];
  const most = byCores[byCores.length - 1]!.free.size;
  return feasible.find((w) => w.free.size === most);
}

/** The core rule: the lowest-starting run of k consecutive free ids, else the k lowest free ids. */
export function referenceCoreRule(free: ReadonlySet<number>, k: number): number[] {
  const sorted = [...free].sort((a, b) => a - b);
  for (const start of sorted) {
    const run = Array.from({ length: k }, (_, i) => start + i);
    if (run.every((id) => free.has(id))) return run;
  }
  return sorted.slice(0, k);
}

/**
 * GANG_NEVER_FITS when the job's tasks can never run together on the well-formed workers (ready
 * or not) at full capacity; one-task jobs and fleets without a well-formed worker are not judged.
 */
function gangCheck(job: JobRequest, workers: readonly RefWorker[]): Unplaced | undefined {
  const formed = workers.filter((w) => w.wellFormed);
  if (job.tasks.length < 2 || formed.length === 0) return undefined;
  const shapes: WorkerShape[] = [];
  for (const w of formed) {
    const cores = ownCores(w.view);
    const memoryBytes = w.view.totalMemoryBytes;
    const same = shapes.findIndex((s) => s.cores === cores && s.memoryBytes === memoryBytes);
    if (same < 0) shapes.push({ cores, memoryBytes, count: 1 });
    else shapes[same] = { ...shapes[same]!, count: shapes[same]!.count + 1 };
  }
  sortShapes(shapes);
  const tasks: GangTask[] = job.tasks.map(({ cores, memoryBytes, pin }) => {
    if (pin === undefined) return { cores, memoryBytes };
    const key = workers.findIndex((w) => isObj(w.view) && w.view.id === pin.workerId);
    const v = workers[key]!.view;
    return { cores, memoryBytes, pin: { key, cores: ownCores(v), memoryBytes: v.totalMemoryBytes } };
  });
  return gangFit(tasks, shapes) === 'never' ? gangNeverFits(job.jobId, tasks, shapes) : undefined;
}

/** Same contract as `schedule` in core/scheduler, by brute force. */
export function referenceSchedule(
  snapshot: ClusterSnapshot,
  jobs: readonly JobRequest[],
  strategy: Strategy | string,
  options: ScheduleOptions,
): Plan {
  const spec = typeof strategy === 'string' ? getStrategy(strategy) : strategy;
  const aging = options.agingPerSecond ?? DEFAULT_AGING_PER_SECOND;
  const seenIds: string[] = [];
  const workers: RefWorker[] = snapshot.workers.map((view) => {
    const ok = wellFormed(view, seenIds);
    if (isObj(view) && typeof view.id === 'string') seenIds.push(view.id);
    const free = new Set(ok ? view.freeCoreIds : []);
    return {
      view,
      wellFormed: ok,
      usable: ok && view.ready === true,
      snapshotFree: new Set(free),
      free,
      freeMemory: ok ? view.freeMemoryBytes : 0,
    };
  });

  const byId = (id: string): RefWorker | undefined => workers.find((w) => isObj(w.view) && w.view.id === id);
  const groups: RefGroups = { instances: new Map(), avoid: new Map() };
  for (const [group, counts] of Object.entries(options.groupInstances ?? {})) {
    const m = new Map<RefWorker, number>();
    for (const [id, n] of Object.entries(counts)) {
      const w = byId(id);
      if (w?.usable === true) m.set(w, n);
    }
    groups.instances.set(group, m);
  }
  for (const [group, ids] of Object.entries(options.avoid ?? {})) {
    groups.avoid.set(group, new Set(ids.map(byId).filter((w): w is RefWorker => w?.usable === true)));
  }
  const countGroups = spec.choice === 'spread';
  const addInstance = (group: string, w: RefWorker, delta: number): void => {
    if (!countGroups) return;
    const m = groups.instances.get(group) ?? new Map<RefWorker, number>();
    groups.instances.set(group, m);
    m.set(w, (m.get(w) ?? 0) + delta);
  };

  const failures = new Map<number, Unplaced>();
  const eligible: number[] = [];
  const seenJobs: string[] = [];
  jobs.forEach((job, j) => {
    const failure = validate(job, j, seenJobs) ?? precheck(job, workers, spec.choice === 'pinned');
    if (failure) failures.set(j, failure);
    else eligible.push(j);
  });

  const placed = new Map<string, { placement: Placement; worker: RefWorker }>();
  const sequence: string[] = [];
  const failed = new Set<number>();
  let blocker: JobRequest | undefined;

  /** Places one task; @returns its failure, or undefined when placed. */
  const tryTask = (jobIndex: number, position: number, task: TaskRequest): Unplaced | undefined => {
    const job = jobs[jobIndex]!;
    const { taskId, cores, memoryBytes: memory, pin } = task;
    const group = task.group ?? job.jobId;
    let target: RefWorker | undefined;
    let coreIds: number[] | undefined;
    let failure: Unplaced | undefined;
    if (pin !== undefined) {
      target = workers.find((w) => isObj(w.view) && w.view.id === pin.workerId)!;
      const id = target.view.id;
      if (pin.coreIds !== undefined) {
        const sorted = [...pin.coreIds].sort((a, b) => a - b);
        const notFree = sorted.filter((c) => !target!.free.has(c));
        if (notFree.length > 0) {
          const busy = notFree.filter((c) => !target!.snapshotFree.has(c));
          const taken = notFree.filter((c) => target!.snapshotFree.has(c));
          failure = pinCoreBusy(job.jobId, taskId, id, sorted, busy, taken);
        } else if (target.freeMemory < memory) {
          failure = noCapacityOnPinned(
            job.jobId,
            taskId,
            cores,
            memory,
            id,
            target.free.size,
            target.freeMemory,
          );
        } else {
          coreIds = sorted;
        }
      } else if (target.free.size < cores || target.freeMemory < memory) {
        failure = noCapacityOnPinned(
          job.jobId,
          taskId,
          cores,
          memory,
          id,
          target.free.size,
          target.freeMemory,
        );
      } else {
        coreIds = referenceCoreRule(target.free, cores);
      }
    } else {
      target = choose(spec, workers, task, group, groups);
      if (target !== undefined) {
        coreIds = referenceCoreRule(target.free, cores);
      } else {
        const counts: CapacityCounts = { notReady: 0, fewerCores: 0, lowMemory: 0 };
        const avoided = groups.avoid.get(group);
        let avoidedCount = 0;
        for (const w of workers) {
          const filter = firstFailingFilter(stateOf(w), task);
          // Filter order: ready → avoided → cores → memory.
          if (w.usable && avoided?.has(w) === true) avoidedCount++;
          else if (filter) counts[filter.countKey]++;
        }
        if (avoidedCount > 0) counts.avoided = avoidedCount;
        failure = noCapacity(job.jobId, taskId, cores, memory, counts);
      }
    }
    if (coreIds === undefined || target === undefined) return failure!;
    for (const c of coreIds) target.free.delete(c);
    target.freeMemory -= memory;
    const key = `${jobIndex}/${position}`;
    placed.set(key, {
      placement: { jobId: job.jobId, taskId, workerId: target.view.id, coreIds, memoryBytes: memory },
      worker: target,
    });
    sequence.push(key);
    addInstance(group, target, 1);
    return undefined;
  };

  const rollBack = (jobIndex: number): void => {
    const job = jobs[jobIndex]!;
    job.tasks.forEach((_, p) => {
      const entry = placed.get(`${jobIndex}/${p}`);
      if (!entry) return;
      for (const c of entry.placement.coreIds) entry.worker.free.add(c);
      entry.worker.freeMemory += entry.placement.memoryBytes;
      addInstance(job.tasks[p]!.group ?? job.jobId, entry.worker, -1);
      placed.delete(`${jobIndex}/${p}`);
      sequence.splice(sequence.indexOf(`${jobIndex}/${p}`), 1);
    });
  };

  const ordered = order(spec, jobs, eligible, options.nowMs, aging);
  for (const { jobIndex, position, task } of ordered) {
    if (failed.has(jobIndex)) continue;
    const job = jobs[jobIndex]!;
    if (blocker !== undefined) {
      failures.set(
        jobIndex,
        priorityBlocked(job.jobId, blocker.jobId, effective(blocker, options.nowMs, aging)),
      );
      failed.add(jobIndex);
      continue;
    }
    const failure = tryTask(jobIndex, position, task);
    if (failure === undefined) continue;
    failed.add(jobIndex);
    rollBack(jobIndex);
    failures.set(jobIndex, failure);
    if (spec.headOfLineBlocking && task.pin === undefined && failure.code === 'NO_CAPACITY') blocker = job;
  }

  // Second chances: without head-of-line blocking, every job that failed while placing (not a
  // gang that never fits) is tried again alone, in job order, until a pass places nothing.
  if (!spec.headOfLineBlocking) {
    for (let again = true; again;) {
      again = false;
      for (let j = 0; j < jobs.length; j++) {
        if (!failed.has(j) || failures.get(j)!.neverFits) continue;
        const mine = ordered.filter((t) => t.jobIndex === j);
        if (mine.every((t) => tryTask(j, t.position, t.task) === undefined)) {
          failed.delete(j);
          failures.delete(j);
          again = true;
        } else {
          rollBack(j);
        }
      }
    }
  }

  return {
    snapshotVersion: snapshot.version,
    strategy: spec.name,
    placements: sequence.flatMap((key) => (placed.has(key) ? [placed.get(key)!.placement] : [])),
    unplaced: jobs.flatMap((_, j) => (failures.has(j) ? [failures.get(j)!] : [])),
  };
}
