import { bookingIsValid } from '../control/booking-ledger.js';
import { bookingKey } from '../control/worker-bookings.js';
import { isTerminalTaskState } from '../job/job-state.js';
import type { JobRecord, WorkerRecord } from '../model/records.js';

/**
 * Every way the books fail to balance, as sentences: a core booked twice, a core the worker does
 * not have, more memory booked than the worker has, a booking no live task backs, a placed live
 * task without its booking. Pure; the leader runs it on its one consistent state, so the answer is
 * exact at any moment (no window between "task ended" and "booking freed").
 *
 * @param jobs every job a booking may name (live jobs; an ended job backs no booking)
 */
export function stateConsistencyProblems(
  workers: Iterable<WorkerRecord>,
  jobs: ReadonlyMap<string, JobRecord>,
): string[] {
  const problems: string[] = [];
  const booked = new Set<string>();
  for (const w of workers) {
    const own = new Set(w.coreIds);
    const cores = new Map<number, string>();
    let mem = 0;
    for (const b of w.bookings) {
      const key = bookingKey(b);
      if (booked.has(`${w.id}|${key}`)) problems.push(`${w.id}: ${key} is booked twice`);
      booked.add(`${w.id}|${key}`);
      mem += b.memoryBytes;
      for (const c of b.coreIds) {
        if (!own.has(c)) problems.push(`${w.id}: ${key} books core ${c}, which the worker does not have`);
        const other = cores.get(c);
        if (other) problems.push(`${w.id}: core ${c} is booked twice (${other} and ${key})`);
        cores.set(c, key);
      }
      if (!bookingIsValid(b, w.id, jobs.get(b.job)))
        problems.push(`${w.id}: booking ${key} is backed by no live task`);
    }
    if (mem > w.totalMemoryBytes) problems.push(`${w.id}: ${mem} bytes booked of ${w.totalMemoryBytes}`);
  }
  for (const j of jobs.values()) {
    for (const t of j.tasks) {
      if (
        t.workerId &&
        !isTerminalTaskState(t.state) &&
        !booked.has(`${t.workerId}|${j.name}/${t.name}#${j.attempt}`)
      ) {
        problems.push(`${j.name}/${t.name} is ${t.state} on ${t.workerId} without a booking`);
      }
    }
  }
  return problems;
}
