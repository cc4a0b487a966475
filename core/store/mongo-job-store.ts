import { nativeGuard, type WriteGuard } from './write-guard.js';
import type { Collection, Db, Filter } from 'mongodb';
import { JOB_STATES, isTerminalJobState, type JobState } from '../job/job-state.js';
import type { JobRecord } from '../model/records.js';
import { activeWorkerIds } from './active-worker-ids.js';
import { assertLimit, decodeJobCursor, encodeJobCursor } from './job-order.js';
import { upsertAllById } from './mongo-bulk.js';
import { isDuplicateKeyError } from './mongo-errors.js';

/** MongoDB's (and FerretDB's) code for a unique-index violation. */
const DUPLICATE_KEY = 11000;
import { plainCopy } from './plain-copy.js';
import type { JobStore, Page } from './store-ports.js';

/**
 * A job as stored in the `jobs` collection: the record, keyed by name, plus `activeWorkerIds`,
 * a denormalised list of the workers holding a non-terminal task (see activeWorkerIds for why
 * it exists). The adapter rewrites it on every write and strips it on every read.
 */
export interface JobDocument extends JobRecord {
  readonly _id: string;
  readonly activeWorkerIds: readonly string[];
}

/** Ascending (submittedAt, name): the one listing order. */
const LIST_SORT = { submittedAt: 1, _id: 1 } as const;
const TERMINAL_JOB_STATES: readonly JobState[] = JOB_STATES.filter(isTerminalJobState);

/** Indexes of `jobs`, each with the query it serves. */
const JOB_INDEXES: readonly Record<string, 1>[] = [
  // list(state), listByStates and countByState; `_id` last so the sort needs no extra step.
  { state: 1, submittedAt: 1, _id: 1 },
  // list() without a state filter.
  { submittedAt: 1, _id: 1 },
  { activeWorkerIds: 1 },
  // deleteEndedBefore.
  { finishedAt: 1 },
];

/**
 * Creates the indexes {@link MongoJobStore} queries rely on; idempotent.
 *
 * One `createIndex` per index, never one `createIndexes` with several: FerretDB v1.24 panics
 * and drops the connection when a multi-index request names indexes that already exist (its
 * `validateIndexesForCreation` filtering, FerretDB/FerretDB#3858), i.e. on every restart.
 */
export async function ensureJobIndexes(db: Db): Promise<void> {
  const jobs = db.collection<JobDocument>('jobs');
  for (const key of JOB_INDEXES) await jobs.createIndex(key);
}

/**
 * {@link JobStore} on MongoDB: one document per job in one `jobs` collection. Only operators
 * FerretDB v1 supports are used (`$in`, `$or`, `$gt`, `$lt`, sort/limit, `replaceOne` with a
 * version filter, a single-stage `$group`); test/integration/mongo-store-contract.test.ts runs
 * the contract suite against it.
 */
export class MongoJobStore implements JobStore {
  readonly #jobs: Collection<JobDocument>;

  readonly #guard: WriteGuard;

  constructor(db: Db, guard: WriteGuard = nativeGuard) {
    this.#jobs = db.collection<JobDocument>('jobs');
    this.#guard = guard;
  }

  /** Stores a new job; false when the name is taken (duplicate `_id`). */
  async insert(job: JobRecord): Promise<boolean> {
    try {
      await this.#jobs.insertOne(toDocument(job, job.version));
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /** The job named `name`, if any. */
  async get(name: string): Promise<JobRecord | undefined> {
    const doc = await this.#jobs.findOne({ _id: name });
    return doc ? toRecord(doc) : undefined;
  }

  /** The known jobs among `names`. */
  async getMany(names: readonly string[]): Promise<JobRecord[]> {
    if (names.length === 0) return [];
    const docs = await this.#jobs.find({ _id: { $in: [...new Set(names)] } }).toArray();
    return docs.map(toRecord);
  }

  /** A page of jobs in (submittedAt, name) order; one extra row tells whether a next page exists. */
  async list(
    filter: { readonly state?: JobState },
    limit: number,
    cursor?: string,
  ): Promise<Page<JobRecord>> {
    assertLimit(limit);
    const after = cursor === undefined ? undefined : decodeJobCursor(cursor);
    const query: Filter<JobDocument> = {
      ...(filter.state !== undefined && { state: filter.state }),
      ...(after && {
        $or: [
          { submittedAt: { $gt: after.submittedAt } },
          { submittedAt: after.submittedAt, _id: { $gt: after.name } },
        ],
      }),
    };
    const docs = await this.#jobs
      .find(query)
      .sort(LIST_SORT)
      .limit(limit + 1)
      .toArray();
    const items = docs.slice(0, limit).map(toRecord);
    const last = items[items.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeJobCursor(last) : null };
  }

  /** Jobs in any of `states`, in (submittedAt, name) order, at most `limit`. */
  async listByStates(states: readonly JobState[], limit: number): Promise<JobRecord[]> {
    assertLimit(limit);
    if (states.length === 0) return [];
    const docs = await this.#jobs
      .find({ state: { $in: [...states] } })
      .sort(LIST_SORT)
      .limit(limit)
      .toArray();
    return docs.map(toRecord);
  }

  /** Jobs with a non-terminal task on `workerId`, via the denormalised `activeWorkerIds`. */
  async listActiveOnWorker(workerId: string): Promise<JobRecord[]> {
    const docs = await this.#jobs.find({ activeWorkerIds: workerId }).sort(LIST_SORT).toArray();
    return docs.map(toRecord);
  }

  /** Replaces the job when its stored version is `expectedVersion`; stores version + 1. */
  async replace(job: JobRecord, expectedVersion: number): Promise<boolean> {
    const { _id, ...replacement } = toDocument(job, expectedVersion + 1);
    const matched = await this.#guard.exclusive('jobs', _id, async () => {
      const result = await this.#jobs.replaceOne({ _id, version: expectedVersion }, replacement);
      return result.matchedCount === 1;
    });
    return matched === true;
  }

  /**
   * Stores the jobs as given, in the layout `insert` writes (so every read sees them alike),
   * chunked into small unordered bulk upserts. Not guarded: the projection is the only writer.
   */
  /** Unordered inserts of 1,000 at a time; duplicate names are reported, not written. */
  async insertMany(jobs: readonly JobRecord[]): Promise<string[]> {
    const existing: string[] = [];
    for (let i = 0; i < jobs.length; i += 1000) {
      const chunk = jobs.slice(i, i + 1000);
      try {
        await this.#jobs.insertMany(
          chunk.map((job) => toDocument(job, job.version)),
          { ordered: false },
        );
      } catch (err) {
        // An unordered insert writes every document it can and reports the others; only
        // duplicate names are expected here (a record already in history).
        const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
        const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as {
          index: number;
          code: number;
        }[];
        if (list.length === 0 && isDuplicateKeyError(err) && chunk.length === 1) {
          existing.push((chunk[0] as JobRecord).name);
          continue;
        }
        if (list.length === 0 || list.some((e) => e.code !== DUPLICATE_KEY)) throw err;
        for (const e of list) existing.push((chunk[e.index] as JobRecord).name);
      }
    }
    return existing;
  }

  async upsertMany(jobs: readonly JobRecord[]): Promise<void> {
    await upsertAllById(
      this.#jobs,
      jobs.map((job) => toDocument(job, job.version)),
    );
  }

  /** How many jobs are in each state; every state is present. */
  async countByState(): Promise<Readonly<Record<JobState, number>>> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    const groups = this.#jobs.aggregate<{ _id: JobState; n: number }>([
      { $group: { _id: '$state', n: { $sum: 1 } } },
    ]);
    for await (const g of groups) {
      if (g._id in counts) counts[g._id] = g.n;
    }
    return counts;
  }

  /** Deletes terminal jobs with `finishedAt < beforeMs` (`$lt` never matches a null `finishedAt`). */
  async deleteEndedBefore(beforeMs: number): Promise<number> {
    const result = await this.#jobs.deleteMany({
      state: { $in: [...TERMINAL_JOB_STATES] },
      finishedAt: { $lt: beforeMs },
      // A job that ended while a task still runs (a failed job's survivor) keeps its record
      // until that task ends: its booking is backed by it.
      activeWorkerIds: { $size: 0 },
    });
    return result.deletedCount;
  }
}

function toDocument(job: JobRecord, version: number): JobDocument {
  const record = plainCopy(job);
  return { _id: record.name, ...record, version, activeWorkerIds: activeWorkerIds(record) };
}

function toRecord(doc: JobDocument): JobRecord {
  const { _id, activeWorkerIds: _active, ...record } = doc;
  return record;
}
