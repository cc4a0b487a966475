import { spreadGroupOf } from '../job/spread-group.js';
import type { JobRecord, WorkerRecord } from '../model/records.js';
import { freeCoreIds, freeMemoryBytes } from '../model/records.js';
import type { ClusterSnapshot, JobRequest, WorkerView } from '../scheduler/types.js';

/**
 * Builds the scheduler's immutable input from stored workers: free resources are capacity minus
 * bookings; only `ready` workers take placements (draining, lost and left ones are kept in the
 * snapshot, not ready, so reasons can count them).
 */
export function snapshotOf(workers: readonly WorkerRecord[], version: number): ClusterSnapshot {
  const sorted = [...workers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { version, workers: sorted.filter((w) => w.state !== 'left').map(workerViewOf) };
}

/** The scheduler's view of one worker (see {@link snapshotOf}); a `left` worker has none. */
export function workerViewOf(w: WorkerRecord): WorkerView {
  return {
    id: w.id,
    ready: w.state === 'ready',
    // The scheduler numbers cores 0..totalCores-1 and hands out the worker's own ids, so a
    // worker whose cpuset does not start at 0 (two agents on one host with disjoint sets,
    // e.g. "0" and "1") is described up to its highest id; the ids it lacks are never free.
    // Counting only its own cores would make such a worker malformed and never used; coreCount
    // says how many it really has, so capacity ("could this ever fit") is never overstated.
    totalCores: w.coreIds.length === 0 ? 0 : Math.max(w.coreIds.length, Math.max(...w.coreIds) + 1),
    coreCount: w.coreIds.length,
    // Which ids those are, when not 0..n-1: a pin to one it lacks fails with the reason.
    ...(ownsLeadingIds(w.coreIds) ? {} : { ownCoreIds: [...w.coreIds].sort((a, b) => a - b) }),
    freeCoreIds: freeCoreIds(w),
    totalMemoryBytes: w.totalMemoryBytes,
    freeMemoryBytes: Math.max(0, freeMemoryBytes(w)),
  };
}

/** Whether `ids` are exactly 0..n-1 (in any order, no repeats assumed). */
function ownsLeadingIds(ids: readonly number[]): boolean {
  for (const id of ids) if (id >= ids.length) return false;
  return true;
}

/**
 * The scheduler's view of waiting jobs. Pinned core ids are translated from the client's
 * numbering, which is the worker's own core ids, unchanged. Each task carries its job's spread
 * group when that is not the job's name.
 */
export function requestsOf(jobs: readonly JobRecord[]): JobRequest[] {
  return jobs.map((j) => {
    // The scheduler's default group is the job id; name the group only when it differs.
    const group = spreadGroupOf(j.spec);
    return {
      jobId: j.name,
      priority: j.priority,
      submittedAtMs: j.submittedAt,
      tasks: j.spec.tasks.map((t) => ({
        taskId: t.name,
        cores: t.cores,
        memoryBytes: t.memoryBytes,
        ...(t.pin
          ? { pin: { workerId: t.pin.workerId, ...(t.pin.coreIds ? { coreIds: t.pin.coreIds } : {}) } }
          : {}),
        ...(group !== j.name ? { group } : {}),
      })),
    };
  });
}
