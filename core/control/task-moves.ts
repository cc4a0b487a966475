import { containerNameOf } from '../model/container-name.js';
import {
  freeCoreIds,
  freeMemoryBytes,
  type Booking,
  type JobRecord,
  type TaskRecord,
  type WorkerRecord,
} from '../model/records.js';
import { formatBytes, schedule } from '../scheduler/index.js';
import { snapshotOf } from './cluster-snapshot.js';
import { bookingKey } from './worker-bookings.js';

/**
 * Pure decisions behind task operations (migrate, update): where a task may go, what its job
 * record and its worker's bookings become. No I/O; the FrontEnd commits them with conditional
 * writes and rolls back on failure.
 */

/** A task of a job, as the `TaskName` path parameter resolved it. */
export interface TaskLocation {
  readonly job: JobRecord;
  readonly task: TaskRecord;
}

/** How a `TaskName` resolved: one task, several (ambiguous) or none. */
export type TaskLookup =
  | { readonly kind: 'found'; readonly at: TaskLocation }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] }
  | { readonly kind: 'none' };

/**
 * Resolves a task name against jobs. A task is named by its container name (the original
 * format's `container_name`, or `<job>_<task>` for native jobs), or by its bare task name when
 * exactly one of the given jobs has a task of that name.
 */
export function lookupTask(jobs: readonly JobRecord[], name: string): TaskLookup {
  const byContainer: TaskLocation[] = [];
  const byName: TaskLocation[] = [];
  for (const job of jobs) {
    for (const task of job.tasks) {
      if (containerNameOf(job.spec, task.name, 0) === name) byContainer.push({ job, task });
      else if (task.name === name) byName.push({ job, task });
    }
  }
  const hits = byContainer.length > 0 ? byContainer : byName;
  if (hits.length === 1) return { kind: 'found', at: hits[0] as TaskLocation };
  if (hits.length === 0) return { kind: 'none' };
  return {
    kind: 'ambiguous',
    candidates: hits.map((h) => containerNameOf(h.job.spec, h.task.name, 0)),
  };
}

/** Where a migrating task goes, or why it cannot go anywhere. */
export type TargetChoice =
  | { readonly ok: true; readonly workerId: string; readonly coreIds: readonly number[] }
  | {
      readonly ok: false;
      readonly code: 'WORKER_NOT_FOUND' | 'NO_CAPACITY' | 'CONFLICT';
      readonly reason: string;
    };

/**
 * Picks a target for `task` (placed on `from`) with the scheduler's `strategy`, honouring its
 * cores and memory and never the source. With `to`, only that worker is considered.
 */
export function chooseTarget(
  workers: readonly WorkerRecord[],
  location: TaskLocation,
  strategy: string,
  nowMs: number,
  to?: string,
): TargetChoice {
  const { job, task } = location;
  const from = task.workerId;
  if (to !== undefined) {
    const target = workers.find((w) => w.id === to);
    if (!target || target.state === 'left')
      return { ok: false, code: 'WORKER_NOT_FOUND', reason: `no worker "${to}"` };
    if (to === from) return { ok: false, code: 'CONFLICT', reason: `task already runs on ${to}` };
  }
  const candidates = workers.filter((w) => w.id !== from && (to === undefined || w.id === to));
  const plan = schedule(
    snapshotOf(candidates, 0),
    [
      {
        jobId: job.name,
        priority: job.priority,
        submittedAtMs: job.submittedAt,
        tasks: [{ taskId: task.name, cores: task.cores, memoryBytes: task.memoryBytes }],
      },
    ],
    strategy,
    { nowMs },
  );
  const p = plan.placements[0];
  if (p) return { ok: true, workerId: p.workerId, coreIds: p.coreIds };
  const why = plan.unplaced[0]?.reason ?? 'no placement';
  const scope = to === undefined ? `no worker other than ${String(from)} has room` : `${to} has no room`;
  return { ok: false, code: 'NO_CAPACITY', reason: `${scope}: ${why}` };
}

/** The job with `taskName` placed on `to` (same attempt, one more move, awaiting the target). */
export function moveTask(
  job: JobRecord,
  taskName: string,
  to: string,
  coreIds: readonly number[],
  now: number,
): JobRecord {
  return {
    ...job,
    tasks: job.tasks.map((t) =>
      t.name === taskName
        ? {
            ...t,
            workerId: to,
            coreIds: [...coreIds],
            moves: (t.moves ?? 0) + 1,
            moving: { from: t.workerId ?? '', at: now },
          }
        : t,
    ),
  };
}

/** The job with `taskName`'s limits changed (after the worker applied them). */
export function resizeTask(
  job: JobRecord,
  taskName: string,
  coreIds: readonly number[],
  memoryBytes: number,
): JobRecord {
  return {
    ...job,
    tasks: job.tasks.map((t) =>
      t.name === taskName ? { ...t, cores: coreIds.length, coreIds: [...coreIds], memoryBytes } : t,
    ),
  };
}

/** New limits asked for in an update, resolved against the task and its worker. */
export interface ResizeRequest {
  readonly cores?: number | undefined;
  readonly coreIds?: readonly number[] | undefined;
  readonly memoryBytes?: number | undefined;
}

/** The worker's bookings with one booking resized, or why it does not fit. */
export type ResizeOutcome =
  | { readonly ok: true; readonly worker: WorkerRecord; readonly booking: Booking }
  | { readonly ok: false; readonly reason: string };

/**
 * Resizes the booking `key` on `worker`. Cores: an explicit cpuset must be the worker's and free
 * of other bookings; a core count keeps the task's current cores first and adds the lowest free
 * ones. Memory must fit next to the other bookings.
 */
export function resizeBooking(
  worker: WorkerRecord,
  key: Pick<Booking, 'job' | 'task' | 'attempt'>,
  want: ResizeRequest,
): ResizeOutcome {
  const k = bookingKey(key);
  const mine = worker.bookings.find((b) => bookingKey(b) === k);
  if (!mine) return { ok: false, reason: `${k} holds no booking on ${worker.id}` };
  const others = worker.bookings.filter((b) => b !== mine);
  const free = freeCoreIds({ coreIds: worker.coreIds, bookings: others });
  const freeSet = new Set(free);
  let coreIds: number[];
  if (want.coreIds) {
    coreIds = [...want.coreIds].sort((a, b) => a - b);
    const foreign = coreIds.filter((c) => !worker.coreIds.includes(c));
    if (foreign.length > 0)
      return { ok: false, reason: `cores ${foreign.join(',')} are not cores of ${worker.id}` };
    const busy = coreIds.filter((c) => !freeSet.has(c));
    if (busy.length > 0) {
      const owners = others.filter((b) => b.coreIds.some((c) => busy.includes(c))).map(bookingKey);
      return {
        ok: false,
        reason: `cores ${busy.join(',')} of ${worker.id} are busy (booked by ${owners.join(', ')}); free for this task: ${free.join(',') || 'none'}`,
      };
    }
    if (want.cores !== undefined && want.cores !== coreIds.length)
      return { ok: false, reason: `cpuset has ${coreIds.length} cores but cores is ${want.cores}` };
  } else if (want.cores !== undefined) {
    const kept = mine.coreIds.slice(0, want.cores);
    const extra = free.filter((c) => !kept.includes(c)).slice(0, want.cores - kept.length);
    if (kept.length + extra.length < want.cores)
      return {
        ok: false,
        reason: `${worker.id} has ${free.length} cores free for this task (${free.join(',') || 'none'}), ${want.cores} needed`,
      };
    coreIds = [...kept, ...extra].sort((a, b) => a - b);
  } else {
    coreIds = [...mine.coreIds];
  }
  const memoryBytes = want.memoryBytes ?? mine.memoryBytes;
  const memFree = freeMemoryBytes({ totalMemoryBytes: worker.totalMemoryBytes, bookings: others });
  if (memFree < memoryBytes)
    return {
      ok: false,
      reason: `${worker.id} has ${formatBytes(memFree)} free for this task, ${formatBytes(memoryBytes)} needed`,
    };
  const booking: Booking = { ...mine, coreIds, memoryBytes };
  return {
    ok: true,
    booking,
    worker: { ...worker, bookings: worker.bookings.map((b) => (b === mine ? booking : b)) },
  };
}
