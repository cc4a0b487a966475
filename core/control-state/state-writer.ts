import type { JobRecord, WorkerRecord } from '../model/records.js';
import type { TaskAssignment } from '../protocol/messages.js';
import type { Effects } from './state-effects.js';
import type { StartFailureTable } from './start-failures.js';

/**
 * What command handlers may do to the state: read, and replace a job or a worker. Replacing a job
 * re-derives its bookings, so bookings can never drift from the live tasks that hold them; this
 * interface exists so each handler file sees only these few operations, not the indexes.
 */
export interface StateWriter {
  job(name: string): JobRecord | undefined;
  worker(id: string): WorkerRecord | undefined;
  /** Names of live jobs with a placed, non-terminal task on the worker. */
  jobsOnWorker(id: string): readonly string[];
  /** What the worker should be running now (its full desired set). */
  desiredOn(workerId: string): TaskAssignment[];
  /** True once any worker has joined and not left: only then can a job "never fit". */
  fleetKnown(): boolean;
  /**
   * Stores `next` as the job's new record (or adds a new job): bookings follow its placed live
   * tasks, the job is marked changed, and a job that ended with nothing left on any worker leaves
   * live state (into `fx.endedJobs`).
   */
  putJob(next: JobRecord, fx: Effects): void;
  /** Stores a worker's new record (bookings are the state's to change, through putJob). */
  putWorker(next: WorkerRecord, fx: Effects): void;
  /** True when a job of that name ended and is still remembered (names are unique until then). */
  hasEnded(name: string): boolean;
  /** Failed starts per (worker, group), changed by reports and worker removal. */
  readonly startFailures: StartFailureTable;
  setStrategy(name: string): void;
  setTerm(term: number, leader: string): void;
}
