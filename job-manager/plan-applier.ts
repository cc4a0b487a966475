import type { Clock } from '../core/clock/clock.js';
import {
  addBookings,
  bookingOf,
  claimJob,
  releaseBookings,
  updateWithRetry,
  type PlacedRef,
} from '../core/control/index.js';
import type { Booking, JobRecord } from '../core/model/records.js';
import type { Plan, Placement } from '../core/scheduler/index.js';
import type { Stores } from '../core/store/store-ports.js';

/** The outcome of applying one plan. */
export interface ApplyResult {
  /** Jobs now scheduled, as stored. */
  readonly committed: JobRecord[];
  /** Jobs whose placements no longer fit the current state, with why; they stay waiting. */
  readonly rejected: { readonly job: string; readonly reason: string }[];
}

/**
 * Commits a plan against the current state, never trusting the snapshot it was made from:
 *
 * 1. For each worker the plan touches, one conditional write adds the bookings that still fit
 *    the worker *as it is now* (re-read and re-checked on every conflict, bounded retries).
 * 2. A job whose every task got its booking is claimed: waiting → scheduled, conditional on the
 *    version that was planned. A job that lost any booking, or whose claim fails (cancelled, or
 *    claimed by another JobManager), has its bookings freed again.
 *
 * Bookings are written before the claim so that a crash in between leaves only an unbacked
 * booking, which {@link reconcileBookings} frees; never a scheduled job without resources.
 */
export class PlanApplier {
  constructor(
    private readonly stores: Stores,
    private readonly clock: Clock,
  ) {}

  async apply(plan: Plan, jobs: ReadonlyMap<string, JobRecord>): Promise<ApplyResult> {
    const now = this.clock.now();
    const byWorker = new Map<string, Booking[]>();
    const byJob = new Map<string, Placement[]>();
    for (const p of plan.placements) {
      const job = jobs.get(p.jobId);
      if (!job) continue;
      byJob.set(p.jobId, [...(byJob.get(p.jobId) ?? []), p]);
      byWorker.set(p.workerId, [
        ...(byWorker.get(p.workerId) ?? []),
        bookingOf(job, p.taskId, p.coreIds, p.memoryBytes, now),
      ]);
    }
    const rejected = new Map<string, string>();
    const booked: PlacedRef[] = [];
    await Promise.all(
      [...byWorker].map(async ([workerId, bookings]) => {
        const out = await updateWithRetry(
          () => this.stores.workers.get(workerId),
          (w) => {
            if (!w)
              return {
                next: undefined,
                result: {
                  accepted: [] as Booking[],
                  refused: bookings.map((b) => ({ booking: b, reason: `worker ${workerId} is gone` })),
                },
              };
            const r = addBookings(w, bookings);
            return r.accepted.length === 0 ? { next: undefined, result: r } : { next: r.worker, result: r };
          },
          (next, v) => this.stores.workers.replace(next, v),
        );
        if (out.status === 'conflict') {
          for (const b of bookings) rejected.set(b.job, `worker ${workerId} kept changing; retrying`);
          return;
        }
        for (const b of out.result.accepted)
          booked.push({ workerId, job: b.job, task: b.task, attempt: b.attempt });
        for (const r of out.result.refused) rejected.set(r.booking.job, r.reason);
      }),
    );
    const committed: JobRecord[] = [];
    await Promise.all(
      [...byJob].map(async ([name, placements]) => {
        const job = jobs.get(name) as JobRecord;
        if (rejected.has(name)) return;
        const next = claimJob(
          job,
          placements.map((p) => ({ task: p.taskId, workerId: p.workerId, coreIds: p.coreIds })),
          now,
        );
        if (await this.stores.jobs.replace(next, job.version))
          committed.push({ ...next, version: job.version + 1 });
        else rejected.set(name, 'the job changed since it was planned (cancelled or claimed elsewhere)');
      }),
    );
    const undo = booked.filter((b) => rejected.has(b.job));
    if (undo.length > 0) await releaseBookings(this.stores.workers, undo);
    return { committed, rejected: [...rejected].map(([job, reason]) => ({ job, reason })) };
  }
}
