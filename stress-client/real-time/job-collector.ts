/**
 * Reads the run's jobs back from `GET /api/v1/jobs` (every page, by cursor) and turns them into
 * {@link JobSample}s with run-relative times. Refused submissions become samples too (state
 * `rejected`, the server's code and message as the reason), so nothing is silently dropped.
 */
import type { JobSample } from '../run-result.js';
import type { JobView, StressApi } from './stress-api.js';
import type { SubmissionRecord } from './submit-on-schedule.js';

/** Job states after which nothing more happens. */
export const TERMINAL_STATES: ReadonlySet<string> = new Set(['finished', 'failed', 'cancelled']);

/** Page size of the job listing (the API's maximum). */
const PAGE = 1000;

/** Below this many unfinished jobs, they are read one by one instead of listing every job. */
export const PER_JOB_BELOW = 50;

/**
 * Refreshes `previous` (the last views) for the jobs named in `names` (cluster names). Jobs
 * already terminal are kept as they are; when few are still open they are read one by one
 * (`GET /api/v1/jobs/{name}`), otherwise from every page of the listing — on a long-lived
 * cluster with many old jobs the listing is the expensive path.
 */
export async function fetchJobViews(
  api: StressApi,
  names: ReadonlySet<string>,
  previous: ReadonlyMap<string, JobView> = new Map(),
): Promise<Map<string, JobView>> {
  const open = [...names].filter((n) => !TERMINAL_STATES.has(previous.get(n)?.state ?? ''));
  if (previous.size > 0 && open.length <= PER_JOB_BELOW) {
    const out = new Map(previous);
    const views = await Promise.all(open.map((n) => api.getJob(n)));
    views.forEach((v, i) => {
      if (v) out.set(open[i] as string, v);
    });
    return out;
  }
  const out = new Map<string, JobView>();
  let cursor: string | undefined;
  for (;;) {
    const page = await api.listJobs(cursor, PAGE);
    for (const j of page.items) if (names.has(j.name)) out.set(j.name, j);
    if (!page.nextCursor || page.items.length === 0 || out.size === names.size) break;
    cursor = page.nextCursor;
  }
  return out;
}

/** An ISO time as run-relative ms (null stays null). */
function relative(iso: string | null | undefined, startEpochMs: number): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t - startEpochMs : null;
}

/**
 * One sample per submission. Times come from the server's view (one clock for every
 * difference); the submit time falls back to when the client sent the request.
 */
export function jobSamples(
  records: readonly SubmissionRecord[],
  views: ReadonlyMap<string, JobView>,
  startEpochMs: number,
): JobSample[] {
  return records.map((r) => {
    const cores = r.job.tasks.reduce((a, t) => a + t.cores, 0);
    const memoryBytes = r.job.tasks.reduce((a, t) => a + t.memoryBytes, 0);
    const base = { name: r.job.name, tasks: r.job.tasks.length, cores, memoryBytes };
    if (!r.outcome.ok) {
      return {
        ...base,
        state: 'rejected',
        submittedMs: r.sentMs,
        scheduledMs: null,
        startedMs: null,
        finishedMs: null,
        unplacedReason: `${r.outcome.code}: ${r.outcome.message}`,
      };
    }
    const v = views.get(r.clusterName);
    if (!v) {
      return {
        ...base,
        state: 'unknown',
        submittedMs: r.sentMs,
        scheduledMs: null,
        startedMs: null,
        finishedMs: null,
        unplacedReason: 'accepted but not listed by GET /api/v1/jobs',
      };
    }
    return {
      ...base,
      state: v.state,
      submittedMs: relative(v.submittedAt, startEpochMs) ?? r.sentMs,
      scheduledMs: relative(v.scheduledAt, startEpochMs),
      startedMs: relative(v.startedAt, startEpochMs),
      finishedMs: relative(v.finishedAt, startEpochMs),
      unplacedReason: v.unplacedReason ?? v.failureReason ?? null,
    };
  });
}
