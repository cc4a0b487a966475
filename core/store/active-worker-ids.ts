import { isTerminalTaskState } from '../job/job-state.js';
import type { JobRecord } from '../model/records.js';

/**
 * Workers that hold a non-terminal task of `job`, distinct and ascending.
 *
 * The MongoDB adapter stores this as a top-level array (`activeWorkerIds`) on every write and
 * indexes it, because `listActiveOnWorker` needs "a task on worker W whose state is active" to
 * hold for the *same* task. That is an `$elemMatch` on embedded documents, which FerretDB v1
 * rejects ("unknown operator", FerretDB/FerretDB#2964), and a dotted query (`tasks.workerId`)
 * would also match a job whose task on W has ended while another task elsewhere is active.
 * The in-memory adapter uses the same function, so both answer identically.
 */
export function activeWorkerIds(job: Pick<JobRecord, 'tasks'>): string[] {
  const ids = new Set<string>();
  for (const task of job.tasks) {
    if (task.workerId !== null && !isTerminalTaskState(task.state)) ids.add(task.workerId);
  }
  return [...ids].sort();
}
