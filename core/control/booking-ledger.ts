import { isTerminalJobState, isTerminalTaskState } from '../job/job-state.js';
import type { Booking, JobRecord } from '../model/records.js';
import type { Stores, WorkerStore } from '../store/store-ports.js';
import { updateWithRetry } from './conditional-update.js';
import {
  failJob,
  mayRequeueAfterLoss,
  mayRetryAfterFailure,
  placedLiveTasks,
  requeueJob,
} from './job-transitions.js';
import { bookingKey, removeBookings } from './worker-bookings.js';

/** One attempt of one task on one worker. */
export interface PlacedRef {
  readonly workerId: string;
  readonly job: string;
  readonly task: string;
  readonly attempt: number;
}

/**
 * Frees bookings, one conditional write per worker (retried on conflicts). Idempotent: freeing
 * what is not booked changes nothing. @returns how many bookings were removed
 */
export async function releaseBookings(workers: WorkerStore, refs: readonly PlacedRef[]): Promise<number> {
  const byWorker = new Map<string, PlacedRef[]>();
  for (const r of refs) byWorker.set(r.workerId, [...(byWorker.get(r.workerId) ?? []), r]);
  let removed = 0;
  for (const [workerId, list] of byWorker) {
    const out = await updateWithRetry(
      () => workers.get(workerId),
      (w) => {
        if (!w) return { next: undefined, result: 0 };
        const r = removeBookings(w, list);
        return r.removed === 0 ? { next: undefined, result: 0 } : { next: r.worker, result: r.removed };
      },
      (next, v) => workers.replace(next, v),
    );
    if (out.status === 'conflict')
      throw new Error(`could not free bookings on ${workerId}: too many concurrent writers`);
    removed += out.result;
  }
  return removed;
}

/** True when `b` is backed by a live task of the job's current attempt on `workerId`. */
export function bookingIsValid(b: Booking, workerId: string, job: JobRecord | undefined): boolean {
  if (!job || job.attempt !== b.attempt) return false;
  const t = job.tasks.find((x) => x.name === b.task);
  return t !== undefined && t.workerId === workerId && !isTerminalTaskState(t.state);
}

/**
 * Frees bookings that no live task backs (left behind by a process killed between booking and
 * claiming). Bookings younger than `graceMs` are left alone: their writer may still be claiming.
 */
export async function reconcileBookings(stores: Stores, now: number, graceMs: number): Promise<number> {
  const workers = await stores.workers.list();
  const names = [...new Set(workers.flatMap((w) => w.bookings.map((b) => b.job)))];
  const jobs = new Map((await stores.jobs.getMany(names)).map((j) => [j.name, j]));
  const stale: PlacedRef[] = [];
  for (const w of workers) {
    for (const b of w.bookings) {
      if (now - b.bookedAt >= graceMs && !bookingIsValid(b, w.id, jobs.get(b.job))) {
        stale.push({ workerId: w.id, job: b.job, task: b.task, attempt: b.attempt });
      }
    }
  }
  return stale.length === 0 ? 0 : releaseBookings(stores.workers, stale);
}

/** Why an attempt ends early. */
export type AttemptEnd =
  | { readonly kind: 'task-failed'; readonly task: string; readonly reason: string }
  | { readonly kind: 'worker-lost'; readonly workerId: string };

/** What settling an early end decided; `stops` must be sent to the workers. */
export interface Settlement {
  readonly outcome: 'requeued' | 'failed' | 'none';
  readonly stops: readonly PlacedRef[];
  readonly job: JobRecord | undefined;
}

/**
 * Ends the job's current attempt after a task failure or a lost worker: re-queued under its
 * restart policy (every booking of the attempt freed, surviving tasks told to stop) or failed
 * (lost tasks freed, surviving tasks told to stop and freed when they report).
 */
interface SettleResult {
  readonly outcome: Settlement['outcome'];
  readonly release: PlacedRef[];
  readonly stops: PlacedRef[];
}

export async function settleAttempt(
  stores: Stores,
  jobName: string,
  attempt: number,
  end: AttemptEnd,
  now: number,
): Promise<Settlement> {
  const out = await updateWithRetry<JobRecord, SettleResult>(
    () => stores.jobs.get(jobName),
    (job) => {
      const none = { next: undefined, result: { outcome: 'none' as const, release: [], stops: [] } };
      if (!job || job.attempt !== attempt || isTerminalJobState(job.state)) return none;
      const live = placedLiveTasks(job);
      const lostNames = new Set(
        end.kind === 'worker-lost'
          ? live.filter((t) => t.workerId === end.workerId).map((t) => t.name)
          : [end.task],
      );
      if (end.kind === 'worker-lost' && lostNames.size === 0) return none;
      const ref = (t: { name: string; workerId: string | null }): PlacedRef => ({
        workerId: t.workerId as string,
        job: job.name,
        task: t.name,
        attempt: job.attempt,
      });
      const survivors = live.filter((t) => !lostNames.has(t.name));
      const reason =
        end.kind === 'worker-lost'
          ? `worker ${end.workerId} was lost while running ${[...lostNames].join(', ')}`
          : `task ${end.task} failed: ${end.reason}`;
      const retry = end.kind === 'worker-lost' ? mayRequeueAfterLoss(job) : mayRetryAfterFailure(job);
      if (retry) {
        return {
          next: requeueJob(job, reason),
          result: { outcome: 'requeued' as const, release: live.map(ref), stops: survivors.map(ref) },
        };
      }
      const marked: JobRecord = {
        ...job,
        tasks: job.tasks.map((t) =>
          lostNames.has(t.name) && !isTerminalTaskState(t.state)
            ? {
                ...t,
                state: end.kind === 'worker-lost' ? ('lost' as const) : ('failed' as const),
                reason: t.reason ?? reason,
                finishedAt: now,
              }
            : t,
        ),
      };
      const lostRefs = live.filter((t) => lostNames.has(t.name)).map(ref);
      return {
        next: failJob(marked, reason, now),
        result: { outcome: 'failed' as const, release: lostRefs, stops: survivors.map(ref) },
      };
    },
    (next, v) => stores.jobs.replace(next, v),
  );
  if (out.status === 'conflict')
    throw new Error(`could not settle job ${jobName}: too many concurrent writers`);
  if (out.status === 'unchanged') return { outcome: 'none', stops: [], job: out.record };
  await releaseBookings(stores.workers, out.result.release);
  return { outcome: out.result.outcome, stops: out.result.stops, job: out.record };
}

/** A booking for one placement of the current attempt. */
export function bookingOf(
  job: JobRecord,
  task: string,
  coreIds: readonly number[],
  memoryBytes: number,
  now: number,
): Booking {
  return { job: job.name, task, attempt: job.attempt, coreIds: [...coreIds], memoryBytes, bookedAt: now };
}

export { bookingKey };
