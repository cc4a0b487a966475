import type { Booking, WorkerRecord } from '../model/records.js';
import { freeCoreIds, freeMemoryBytes } from '../model/records.js';

/** A booking's identity: one attempt of one task. */
export function bookingKey(b: Pick<Booking, 'job' | 'task' | 'attempt'>): string {
  return `${b.job}/${b.task}#${b.attempt}`;
}

/** Why one booking cannot be added to a worker as it is now, or null when it fits. */
export function bookingConflict(
  worker: WorkerRecord,
  b: Booking,
  pending: readonly Booking[] = [],
): string | null {
  if (worker.state !== 'ready') return `worker ${worker.id} is ${worker.state}`;
  const all = [...worker.bookings, ...pending];
  if (all.some((x) => x.job === b.job && x.task === b.task && x.attempt === b.attempt)) {
    return `task ${bookingKey(b)} is already booked on ${worker.id}`;
  }
  const free = new Set(freeCoreIds({ coreIds: worker.coreIds, bookings: all }));
  const taken = b.coreIds.filter((c) => !free.has(c));
  if (taken.length > 0) return `cores ${taken.join(',')} of ${worker.id} are not free`;
  const mem = freeMemoryBytes({ totalMemoryBytes: worker.totalMemoryBytes, bookings: all });
  if (mem < b.memoryBytes) return `${worker.id} has ${mem} bytes free, ${b.memoryBytes} needed`;
  return null;
}
