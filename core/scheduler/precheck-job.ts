/**
 * Pre-checks: what can be decided about a (well-formed) job from the snapshot alone, before any
 * placement. A job failing here never enters the ordering, so it consumes nothing and cannot
 * disturb other jobs.
 *
 * For each task in job order, the first failing check is reported:
 *
 *  unpinned task:
 *   1. PIN_REQUIRED           the strategy places only pinned tasks (`no-scheduler`)
 *   2. NEVER_FITS             no well-formed worker, ready or not, has the cores and the memory in
 *                             total (skipped when no worker is well-formed: nothing to judge by)
 *  pinned task:
 *   1. PIN_UNKNOWN_WORKER     no worker has that id
 *   2. PIN_NOT_READY          the worker's view is malformed
 *   3. PIN_CORE_OUT_OF_RANGE  a pinned core id ≥ the worker's total cores
 *   4. NEVER_FITS             more cores or memory than the worker has in total
 *   5. PIN_NOT_READY          the worker is not ready
 *   6. PIN_CORE_CONFLICT      an earlier task of the same job pins one of the same cores there
 *                             (reported against the earliest such task; never fits)
 *
 * Permanent facts (3, 4) come before readiness (5) so a job that can never run is failed at once
 * even while its worker is down.
 *
 * When every task passes: GANG_NEVER_FITS if the tasks can never run together on the well-formed
 * workers, ready or not, with every core free (gang-check.ts; skipped when none is well-formed).
 */
import { neverFitsAsGang } from './gang-check.js';
import {
  neverFits,
  neverFitsPinned,
  pinCoreOutOfRange,
  pinNotReady,
  pinRequired,
  pinSameJobConflict,
  pinUnknownWorker,
} from './reasons.js';
import type { FleetFacts } from './plan-index.js';
import { coresOf, ownsCore, type JobRequest, type Unplaced, type WorkerView } from './types.js';

/** Spacing of (worker, core) keys; above any core id of a well-formed worker. */
const CORE_KEY_STRIDE = 8192;

/**
 * Pre-checks one validated job.
 * @param pinWorker receives, at `offset + t`, the pinned worker index of task t (or -1)
 * @returns the reason the job cannot be planned, or undefined
 */
export function precheckJob(
  job: JobRequest,
  facts: FleetFacts,
  requirePin: boolean,
  pinWorker: Int32Array,
  offset: number,
): Unplaced | undefined {
  const { jobId, tasks } = job;
  // (worker, core) → position of the earliest task of this job pinning it; made on first use.
  let pinnedBy: Map<number, number> | undefined;
  for (let t = 0; t < tasks.length; t++) {
    const { taskId, cores, memoryBytes, pin } = tasks[t]!;
    if (pin === undefined) {
      pinWorker[offset + t] = -1;
      if (requirePin) return pinRequired(jobId, taskId);
      if (!facts.fitsSomeWorker(cores, memoryBytes)) {
        return neverFits(jobId, taskId, cores, memoryBytes, facts.totalCounts(cores));
      }
      continue;
    }
    const w = facts.indexOf(pin.workerId);
    pinWorker[offset + t] = w;
    if (w < 0) return pinUnknownWorker(jobId, taskId, pin.workerId);
    if (facts.wellFormed[w] === 0) return pinNotReady(jobId, taskId, pin.workerId);
    const view = facts.workers[w] as WorkerView;
    const coreIds = pin.coreIds;
    if (coreIds !== undefined) {
      const outside = coreIds.filter((id) => !ownsCore(view, id));
      if (outside.length > 0) {
        return pinCoreOutOfRange(
          jobId,
          taskId,
          view.id,
          outside.sort((a, b) => a - b),
          view.totalCores,
          view.ownCoreIds,
        );
      }
    }
    if (cores > coresOf(view) || memoryBytes > view.totalMemoryBytes) {
      return neverFitsPinned(
        jobId,
        taskId,
        cores,
        memoryBytes,
        view.id,
        coresOf(view),
        view.totalMemoryBytes,
      );
    }
    if (facts.usable[w] === 0) return pinNotReady(jobId, taskId, view.id);
    if (coreIds === undefined) continue;
    pinnedBy ??= new Map();
    let earliest = -1;
    for (const id of coreIds) {
      const owner = pinnedBy.get(w * CORE_KEY_STRIDE + id);
      if (owner !== undefined && (earliest < 0 || owner < earliest)) earliest = owner;
    }
    if (earliest >= 0) {
      const other = tasks[earliest]!;
      const theirs = other.pin?.coreIds ?? [];
      const shared = coreIds.filter((id) => theirs.includes(id)).sort((a, b) => a - b);
      return pinSameJobConflict(jobId, taskId, view.id, shared, other.taskId);
    }
    for (const id of coreIds) pinnedBy.set(w * CORE_KEY_STRIDE + id, t);
  }
  return neverFitsAsGang(job, facts, pinWorker, offset);
}
