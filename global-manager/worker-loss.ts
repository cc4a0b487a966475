/**
 * What the GlobalManager does about a worker that went silent: mark it lost (once, by
 * conditional write) and settle every job attempt that had a live task on it. Settling is
 * idempotent, so a GlobalManager that died between the two steps simply redoes it on its next
 * sweep. Kept apart from the socket handling so each reads on its own.
 */
import { settleAttempt, updateWithRetry, type PlacedRef } from '../core/control/index.js';
import { isTerminalTaskState } from '../core/job/job-state.js';
import type { Logger } from '../core/log/logger.js';
import type { ClusterEvent } from '../core/model/records.js';
import type { Stores } from '../core/store/store-ports.js';

/**
 * Moves a `ready` or `draining` worker to `lost` and records the event.
 * @returns true when this call made the change (false: already lost, left, or gone)
 */
export async function markWorkerLost(
  stores: Stores,
  workerId: string,
  now: number,
  logger: Logger,
): Promise<boolean> {
  const out = await updateWithRetry(
    () => stores.workers.get(workerId),
    (w) =>
      w && (w.state === 'ready' || w.state === 'draining')
        ? { next: { ...w, state: 'lost' as const }, result: true }
        : { next: undefined, result: false },
    (next, v) => stores.workers.replace(next, v),
  );
  if (out.status !== 'updated') return false;
  logger.warn({ worker: workerId }, 'worker lost: no heartbeat within the timeout');
  await stores.events.append([{ at: now, kind: 'worker-lost', worker: workerId }]);
  return true;
}

/**
 * Ends the attempts of every job with a live task on the lost worker: re-queued or failed by
 * restart policy, bookings freed. Each lost task is recorded as a `task-state` event `lost` (a
 * re-queued job's tasks start over at `pending` in the record).
 * @param stopSurvivors called once per settled job with its tasks elsewhere that must now stop
 *   (right away, so a failure on a later job cannot lose an earlier job's stops)
 */
export async function settleLostWorker(
  stores: Stores,
  workerId: string,
  now: number,
  stopSurvivors: (stops: readonly PlacedRef[]) => Promise<void>,
): Promise<void> {
  for (const job of await stores.jobs.listActiveOnWorker(workerId)) {
    const s = await settleAttempt(stores, job.name, job.attempt, { kind: 'worker-lost', workerId }, now);
    if (s.outcome === 'none') continue;
    const lostTasks = job.tasks.filter((t) => t.workerId === workerId && !isTerminalTaskState(t.state));
    const events: ClusterEvent[] = lostTasks.map((t) => ({
      at: now,
      kind: 'task-state',
      job: job.name,
      task: t.name,
      worker: workerId,
      attempt: job.attempt,
      detail: `lost: worker ${workerId} was lost`,
    }));
    events.push({
      at: now,
      kind: s.outcome === 'requeued' ? 'job-requeued' : 'job-failed',
      job: job.name,
      worker: workerId,
      attempt: job.attempt,
    });
    await stores.events.append(events);
    await stopSurvivors(s.stops);
  }
}

/** Appends one utilisation sample per live worker (a document each, never a rewritten array). */
export async function sampleUsage(stores: Stores, now: number): Promise<void> {
  const workers = (await stores.workers.list()).filter((w) => w.state === 'ready' || w.state === 'draining');
  if (workers.length === 0) return;
  await stores.usage.append(
    workers.map((w) => ({
      workerId: w.id,
      at: now,
      usedCores: w.bookings.reduce((n, b) => n + b.coreIds.length, 0),
      usedMemoryBytes: w.bookings.reduce((n, b) => n + b.memoryBytes, 0),
      tasks: w.bookings.length,
    })),
  );
}
