import type { WorkerJoin } from './store-ports.js';
import type { WorkerRecord } from '../model/records.js';

/**
 * The two worker writes whose outcome is more than "store what was given", shared by both
 * adapters so they cannot drift apart.
 */

/**
 * The record a join produces.
 *
 * - New worker: version 1, no bookings, `joinedAt` = `lastHeartbeatAt` = `join.now`, `ready`.
 * - Returning worker: runtime and capacity from the join, `ready` unless it was `draining` (an
 *   operator's drain survives a restart), bookings kept (the JobManager reconciles them against
 *   what the worker reports), `joinedAt` kept (first join), `lastHeartbeatAt` = `join.now`,
 *   version + 1.
 *
 * @param existing - the stored worker, if any.
 */
export function joinedWorker(existing: WorkerRecord | undefined, join: WorkerJoin): WorkerRecord {
  if (!existing) {
    return {
      id: join.id,
      state: 'ready',
      runtime: join.runtime,
      coreIds: [...join.coreIds],
      totalMemoryBytes: join.totalMemoryBytes,
      bookings: [],
      joinedAt: join.now,
      lastHeartbeatAt: join.now,
      version: 1,
    };
  }
  return {
    ...existing,
    state: existing.state === 'draining' ? 'draining' : 'ready',
    runtime: join.runtime,
    coreIds: [...join.coreIds],
    totalMemoryBytes: join.totalMemoryBytes,
    lastHeartbeatAt: Math.max(existing.lastHeartbeatAt, join.now),
    version: existing.version + 1,
  };
}

/**
 * What a successful conditional replace stores: `next` with version `expectedVersion + 1`, and
 * the later of the two heartbeats.
 *
 * Heartbeats do not change the version (so they never make a booking conflict), which means a
 * writer can read a worker, a heartbeat can land, and the writer's replace still matches. Taking
 * the later heartbeat keeps that replace from moving `lastHeartbeatAt` backwards, which would
 * otherwise make a live worker look silent to the loss detector.
 */
export function replacedWorker(
  stored: WorkerRecord,
  next: WorkerRecord,
  expectedVersion: number,
): WorkerRecord {
  return {
    ...next,
    lastHeartbeatAt: Math.max(stored.lastHeartbeatAt, next.lastHeartbeatAt),
    version: expectedVersion + 1,
  };
}
