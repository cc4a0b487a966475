import {
  applyReports,
  failJob,
  mayRetryAfterFailure,
  placedLiveTasks,
  requeueJob,
  updateWithRetry,
  type PlacedRef,
} from '../core/control/index.js';
import { isTerminalJobState, isTerminalTaskState } from '../core/job/job-state.js';
import type { ClusterEvent, JobRecord } from '../core/model/records.js';
import type { Report } from '../core/protocol/index.js';
import type { Stores } from '../core/store/store-ports.js';

/** What applying one job's reports decided. */
export interface JobReportOutcome {
  /** Tasks to stop: survivors of a failed or re-queued attempt, or stale attempts still running. */
  readonly stops: PlacedRef[];
  /**
   * Bookings to free. The caller frees them for a whole batch at once (one write per worker),
   * and only then acknowledges the reports: a crash in between makes the worker resend, and the
   * resend frees them again (freeing is idempotent).
   */
  readonly release: PlacedRef[];
  readonly events: ClusterEvent[];
}

interface Decision {
  readonly release: PlacedRef[];
  readonly stops: PlacedRef[];
  readonly before: JobRecord['state'];
}

const ref =
  (job: JobRecord) =>
  (t: { name: string; workerId: string | null }): PlacedRef => ({
    workerId: t.workerId as string,
    job: job.name,
    task: t.name,
    attempt: job.attempt,
  });

/**
 * Applies every report about one job: states move forward, ended tasks free their bookings, a
 * failure re-queues the job under its restart policy or fails it (stopping the survivors).
 * Reports of an older attempt change nothing; if they say "running", that container is stopped.
 */
export async function applyJobReports(
  stores: Stores,
  jobName: string,
  reports: readonly Report[],
  now: number,
): Promise<JobReportOutcome> {
  const staleStops: PlacedRef[] = [];
  const out = await updateWithRetry<JobRecord, Decision>(
    () => stores.jobs.get(jobName),
    (job) => {
      staleStops.length = 0;
      const none = { next: undefined, result: { release: [], stops: [], before: job?.state ?? 'waiting' } };
      if (!job) return none;
      // A report of the current attempt from a worker the task is no longer placed on (the source
      // of a migration) says nothing about the task: dropped, and stopped there if it still runs.
      const placedHere = (r: Report): boolean =>
        job.tasks.find((t) => t.name === r.task)?.workerId === r.workerId;
      const current = reports.filter((r) => r.attempt === job.attempt && placedHere(r));
      for (const r of reports) {
        const stale = r.attempt < job.attempt || (r.attempt === job.attempt && !placedHere(r));
        if (stale && (r.state === 'running' || r.state === 'starting')) {
          staleStops.push({ workerId: r.workerId, job: r.job, task: r.task, attempt: r.attempt });
        }
      }
      const r = applyReports(
        job,
        current.map((x) => ({
          task: x.task,
          state: x.state,
          exitCode: x.exitCode,
          reason: x.reason,
          at: x.at,
        })),
      );
      if (!r.changed) return none;
      const before = job.state;
      if (r.failure && !isTerminalJobState(job.state)) {
        const reason = `task ${r.failure.task} failed: ${r.failure.reason}`;
        const survivors = placedLiveTasks(r.job).map(ref(job));
        if (mayRetryAfterFailure(job)) {
          // Every booking of the attempt goes, including the ended tasks' ones.
          return {
            next: requeueJob(r.job, reason),
            result: { release: placedLiveTasks(job).map(ref(job)), stops: survivors, before },
          };
        }
        const failed = isTerminalJobState(r.job.state)
          ? { ...r.job, failureReason: reason }
          : failJob(r.job, reason, now);
        return { next: failed, result: { release: r.ended.map(ref(job)), stops: survivors, before } };
      }
      return { next: r.job, result: { release: r.ended.map(ref(job)), stops: [], before } };
    },
    (next, v) => stores.jobs.replace(next, v),
  );
  if (out.status === 'conflict')
    throw new Error(`could not apply reports of ${jobName}: too many concurrent writers`);
  if (out.status === 'unchanged') {
    // A resend after a crash: the job already shows the end, but the booking may not be freed yet.
    const job = out.record;
    const release: PlacedRef[] = reports
      .filter((r) => r.state === 'finished' || r.state === 'failed' || r.state === 'cancelled')
      .filter(
        (r) =>
          !job ||
          r.attempt < job.attempt ||
          isTerminalTaskState(job.tasks.find((t) => t.name === r.task)?.state ?? 'finished'),
      )
      .map((r) => ({ workerId: r.workerId, job: r.job, task: r.task, attempt: r.attempt }));
    return { stops: staleStops, release, events: [] };
  }
  const job = out.record;
  const events: ClusterEvent[] = [];
  if (job.state !== out.result.before || job.attempt !== (reports[0]?.attempt ?? job.attempt)) {
    const kind =
      job.state === 'waiting'
        ? 'job-requeued'
        : job.state === 'running'
          ? 'job-running'
          : (`job-${job.state}` as ClusterEvent['kind']);
    events.push({
      at: now,
      kind,
      job: job.name,
      attempt: job.attempt,
      ...(job.failureReason ? { detail: job.failureReason } : {}),
    });
  }
  return { stops: [...staleStops, ...out.result.stops], release: out.result.release, events };
}
