import { JOB_STATES, isTerminalJobState, type JobState } from '../job/job-state.js';
import type { JobRecord } from '../model/records.js';
import { activeWorkerIds } from './active-worker-ids.js';
import {
  assertLimit,
  compareJobOrder,
  decodeJobCursor,
  encodeJobCursor,
  isAfterCursor,
} from './job-order.js';
import { plainCopy } from './plain-copy.js';
import { settle } from './settle.js';
import type { JobStore, Page } from './store-ports.js';

/**
 * {@link JobStore} in process memory, for tests and the single-process mode.
 *
 * Records are copied in and out ({@link plainCopy}) so no caller can change stored state by
 * mutating an object it passed or got back. Every method does its read-check-write without an
 * `await` in between, which makes each call atomic against the others, like one MongoDB
 * single-document write. Listings scan every job: fine for the sizes this adapter is meant for.
 */
export class MemoryJobStore implements JobStore {
  readonly #jobs = new Map<string, JobRecord>();

  /** Stores a new job; false when the name is taken. */
  insert(job: JobRecord): Promise<boolean> {
    return settle(() => {
      if (this.#jobs.has(job.name)) return false;
      this.#jobs.set(job.name, plainCopy(job));
      return true;
    });
  }

  /** The job named `name`, if any. */
  get(name: string): Promise<JobRecord | undefined> {
    return settle(() => {
      const job = this.#jobs.get(name);
      return job && plainCopy(job);
    });
  }

  /** The known jobs among `names`, each once. */
  getMany(names: readonly string[]): Promise<JobRecord[]> {
    return settle(() => {
      const jobs = [...new Set(names)].map((name) => this.#jobs.get(name));
      return jobs.filter((j) => j !== undefined).map((j) => plainCopy(j));
    });
  }

  /** A page of jobs in (submittedAt, name) order, optionally of one state. */
  list(filter: { readonly state?: JobState }, limit: number, cursor?: string): Promise<Page<JobRecord>> {
    return settle(() => {
      assertLimit(limit);
      const after = cursor === undefined ? undefined : decodeJobCursor(cursor);
      const matching = this.#sorted(
        (j) =>
          (filter.state === undefined || j.state === filter.state) &&
          (after === undefined || isAfterCursor(j, after)),
      );
      const items = matching.slice(0, limit);
      const last = items[items.length - 1];
      const nextCursor = matching.length > limit && last ? encodeJobCursor(last) : null;
      return { items: items.map((j) => plainCopy(j)), nextCursor };
    });
  }

  /** Jobs in any of `states`, in (submittedAt, name) order, at most `limit`. */
  listByStates(states: readonly JobState[], limit: number): Promise<JobRecord[]> {
    return settle(() => {
      assertLimit(limit);
      const wanted = new Set(states);
      return this.#sorted((j) => wanted.has(j.state))
        .slice(0, limit)
        .map((j) => plainCopy(j));
    });
  }

  /** Jobs with a non-terminal task placed on `workerId`, in (submittedAt, name) order. */
  listActiveOnWorker(workerId: string): Promise<JobRecord[]> {
    return settle(() => this.#sorted((j) => activeWorkerIds(j).includes(workerId)).map((j) => plainCopy(j)));
  }

  /** Replaces the job when its stored version is `expectedVersion`; stores version + 1. */
  replace(job: JobRecord, expectedVersion: number): Promise<boolean> {
    return settle(() => {
      const stored = this.#jobs.get(job.name);
      if (!stored || stored.version !== expectedVersion) return false;
      this.#jobs.set(job.name, { ...plainCopy(job), version: expectedVersion + 1 });
      return true;
    });
  }

  /** Stores copies of `jobs` as given, by name, in order (a repeated name: the later wins). */
  insertMany(jobs: readonly JobRecord[]): Promise<string[]> {
    return settle(() => {
      const existing: string[] = [];
      for (const job of jobs) {
        if (this.#jobs.has(job.name)) existing.push(job.name);
        else this.#jobs.set(job.name, plainCopy(job));
      }
      return existing;
    });
  }

  upsertMany(jobs: readonly JobRecord[]): Promise<void> {
    return settle(() => {
      for (const job of jobs) this.#jobs.set(job.name, plainCopy(job));
    });
  }

  /** How many jobs are in each state; every state is present. */
  countByState(): Promise<Readonly<Record<JobState, number>>> {
    return settle(() => {
      const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
      for (const job of this.#jobs.values()) counts[job.state] += 1;
      return counts;
    });
  }

  /** Deletes terminal jobs with `finishedAt` before `beforeMs`; jobs never finished are kept. */
  deleteEndedBefore(beforeMs: number): Promise<number> {
    return settle(() => {
      let deleted = 0;
      for (const [name, job] of this.#jobs) {
        if (
          isTerminalJobState(job.state) &&
          job.finishedAt !== null &&
          job.finishedAt < beforeMs &&
          activeWorkerIds(job).length === 0
        ) {
          this.#jobs.delete(name);
          deleted += 1;
        }
      }
      return deleted;
    });
  }

  #sorted(keep: (job: JobRecord) => boolean): JobRecord[] {
    return [...this.#jobs.values()].filter(keep).sort(compareJobOrder);
  }
}
