import { isTerminalTaskState } from '../job/job-state.js';
import type { Booking, JobRecord } from '../model/records.js';
import { bookingKey } from './worker-bookings.js';

/** One attempt of one task on one worker. */
export interface PlacedRef {
  readonly workerId: string;
  readonly job: string;
  readonly task: string;
  readonly attempt: number;
}

/** True when `b` is backed by a live task of the job's current attempt on `workerId`. */
export function bookingIsValid(b: Booking, workerId: string, job: JobRecord | undefined): boolean {
  if (!job || job.attempt !== b.attempt) return false;
  const t = job.tasks.find((x) => x.name === b.task);
  return t !== undefined && t.workerId === workerId && !isTerminalTaskState(t.state);
}

export { bookingKey };
