import type { Collection, Db } from 'mongodb';
import { nativeGuard, type WriteGuard } from './write-guard.js';
import type { WorkerRecord } from '../model/records.js';
import { upsertAllById } from './mongo-bulk.js';
import { isDuplicateKeyError } from './mongo-errors.js';
import { plainCopy } from './plain-copy.js';
import type { WorkerJoin, WorkerStore } from './store-ports.js';
import { joinedWorker } from './worker-updates.js';

/** A worker as stored in the `workers` collection: the record keyed by id. */
export interface WorkerDocument extends WorkerRecord {
  readonly _id: string;
}

/**
 * How often a join retries after losing a race (another join or a booking write changed the
 * worker between our read and our write). Each retry re-reads, so a handful always suffices
 * unless something writes the same worker in a tight loop, which is a bug worth surfacing.
 */
const MAX_JOIN_ATTEMPTS = 8;

/**
 * {@link WorkerStore} on MongoDB: one document per worker, bookings embedded so that one
 * conditional write books atomically. `join` is read → conditional write → retry, because
 * FerretDB v1 has no multi-document transactions and no update pipelines.
 */
export class MongoWorkerStore implements WorkerStore {
  readonly #workers: Collection<WorkerDocument>;

  readonly #guard: WriteGuard;

  constructor(db: Db, guard: WriteGuard = nativeGuard) {
    this.#workers = db.collection<WorkerDocument>('workers');
    this.#guard = guard;
  }

  /** Registers or re-registers a worker (see joinedWorker), retrying lost races. */
  async join(join: WorkerJoin): Promise<WorkerRecord> {
    for (let attempt = 1; attempt <= MAX_JOIN_ATTEMPTS; attempt++) {
      const existing = await this.get(join.id);
      const next = joinedWorker(existing, join);
      if (!existing) {
        try {
          await this.#workers.insertOne({ _id: next.id, ...next });
          return next;
        } catch (err) {
          // Another join inserted it first: go round again as a returning worker.
          if (!isDuplicateKeyError(err)) throw err;
          continue;
        }
      }
      const stored = await this.#conditionalReplace(next, existing.version);
      if (stored) return stored;
    }
    throw new Error(`worker ${join.id}: join lost ${MAX_JOIN_ATTEMPTS} races in a row`);
  }

  /** The worker with `id`, if any. */
  async get(id: string): Promise<WorkerRecord | undefined> {
    const doc = await this.#workers.findOne({ _id: id });
    return doc ? toRecord(doc) : undefined;
  }

  /** Every worker, by id. */
  async list(): Promise<WorkerRecord[]> {
    const docs = await this.#workers.find({}).sort({ _id: 1 }).toArray();
    return docs.map(toRecord);
  }

  /** Sets `lastHeartbeatAt` with a plain `$set`; the version is untouched. */
  async heartbeat(id: string, at: number): Promise<boolean> {
    // Guarded too: on FerretDB an unguarded update writes the whole document back and could undo
    // a concurrent booking.
    const matched = await this.#guard.exclusive('workers', id, async () => {
      const result = await this.#workers.updateOne({ _id: id }, { $set: { lastHeartbeatAt: at } });
      return result.matchedCount === 1;
    });
    if (matched === undefined) return this.#workers.countDocuments({ _id: id }).then((n) => n === 1);
    return matched;
  }

  /** Conditional replace by version; never moves `lastHeartbeatAt` backwards (see replacedWorker). */
  async replace(worker: WorkerRecord, expectedVersion: number): Promise<boolean> {
    return (await this.#conditionalReplace(worker, expectedVersion)) !== undefined;
  }

  /**
   * Stores the workers as given (no `$max` on the heartbeat, unlike `replace`), keyed by id as
   * `join` inserts them, chunked into small unordered bulk upserts. Not guarded: the projection
   * is the only writer.
   */
  async upsertMany(workers: readonly WorkerRecord[]): Promise<void> {
    await upsertAllById(
      this.#workers,
      workers.map((worker) => toDocument(worker)),
    );
  }

  /** Deletes the worker; false when unknown. */
  async remove(id: string): Promise<boolean> {
    const result = await this.#workers.deleteOne({ _id: id });
    return result.deletedCount === 1;
  }

  /**
   * The replace as one document update: `$set` every field but the heartbeat, `$max` the
   * heartbeat (what replacedWorker computes in memory), matched on the expected version.
   * @returns the stored record, or undefined on a version conflict or a missing worker.
   */
  async #conditionalReplace(
    worker: WorkerRecord,
    expectedVersion: number,
  ): Promise<WorkerRecord | undefined> {
    const { lastHeartbeatAt, ...fields } = plainCopy(worker);
    const doc = await this.#guard.exclusive('workers', worker.id, () =>
      this.#workers.findOneAndUpdate(
        { _id: worker.id, version: expectedVersion },
        { $set: { ...fields, version: expectedVersion + 1 }, $max: { lastHeartbeatAt } },
        { returnDocument: 'after' },
      ),
    );
    return doc ? toRecord(doc) : undefined;
  }
}

function toDocument(worker: WorkerRecord): WorkerDocument {
  const record = plainCopy(worker);
  return { _id: record.id, ...record };
}

function toRecord(doc: WorkerDocument): WorkerRecord {
  const { _id, ...record } = doc;
  return record;
}
