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

/**
 * Adds the bookings that still fit, re-checking each against the worker as it is now.
 * @returns the new worker record, and the bookings refused with their reasons
 */
export function addBookings(
  worker: WorkerRecord,
  bookings: readonly Booking[],
): { worker: WorkerRecord; accepted: Booking[]; refused: { booking: Booking; reason: string }[] } {
  const accepted: Booking[] = [];
  const refused: { booking: Booking; reason: string }[] = [];
  for (const b of bookings) {
    const reason = bookingConflict(worker, b, accepted);
    if (reason) refused.push({ booking: b, reason });
    else accepted.push(b);
  }
  return { worker: { ...worker, bookings: [...worker.bookings, ...accepted] }, accepted, refused };
}

/** Removes bookings by identity; unknown ones are ignored (release is idempotent). */
export function removeBookings(
  worker: WorkerRecord,
  refs: readonly Pick<Booking, 'job' | 'task' | 'attempt'>[],
): { worker: WorkerRecord; removed: number } {
  const drop = new Set(refs.map(bookingKey));
  const kept = worker.bookings.filter((b) => !drop.has(bookingKey(b)));
  return { worker: { ...worker, bookings: kept }, removed: worker.bookings.length - kept.length };
}
