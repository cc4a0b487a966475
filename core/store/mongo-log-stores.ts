import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import type { ClusterEvent, EventKind, UsageSample } from '../model/records.js';
import { assertLimit } from './job-order.js';
import { isOnlyDuplicateKeys } from './mongo-errors.js';
import { plainCopy } from './plain-copy.js';
import type { EventStore, SettingsStore, UsageStore } from './store-ports.js';

/**
 * The MongoDB stores that are append-only logs (events, usage samples) or a single value
 * (settings). Log entries are one document each with a driver-made ObjectId, whose counter
 * orders entries written by one process at the same millisecond.
 */

type EventDocument = ClusterEvent & { _id?: ObjectId };
type UsageDocument = UsageSample & { _id?: ObjectId };
interface SettingDocument {
  _id: string;
  value: string;
}

/** Creates the indexes the log stores query by; idempotent (one call per index, see ensureJobIndexes). */
export async function ensureLogIndexes(db: Db): Promise<void> {
  const events = db.collection<EventDocument>('events');
  await events.createIndex({ job: 1, at: 1 });
  await events.createIndex({ at: 1 });
  const usage = db.collection<UsageDocument>('usage');
  await usage.createIndex({ workerId: 1, at: 1 });
  await usage.createIndex({ at: 1 });
}

/** {@link SettingsStore} on MongoDB: one document per setting in `settings`. */
export class MongoSettingsStore implements SettingsStore {
  readonly #settings: Collection<SettingDocument>;

  constructor(db: Db) {
    this.#settings = db.collection<SettingDocument>('settings');
  }

  /** The stored strategy name, if one was set. */
  async getStrategy(): Promise<string | undefined> {
    return (await this.#settings.findOne({ _id: 'strategy' }))?.value;
  }

  /** Stores the strategy name (upsert). */
  async setStrategy(name: string): Promise<void> {
    await this.#settings.replaceOne({ _id: 'strategy' }, { value: name }, { upsert: true });
  }

  /** The seq the leader's records are written through (0 when never set). */
  async getRecordsThrough(): Promise<number> {
    const v = (await this.#settings.findOne({ _id: 'records-through' }))?.value;
    return v === undefined ? 0 : Number(v);
  }

  /**
   * Stores it (an upsert on a collection of two documents, so cheap even where every update
   * scans the collection, as on FerretDB v1).
   */
  async setRecordsThrough(seq: number): Promise<void> {
    await this.#settings.replaceOne({ _id: 'records-through' }, { value: String(seq) }, { upsert: true });
  }
}

/** {@link EventStore} on MongoDB: one document per event in `events`. */
export class MongoEventStore implements EventStore {
  readonly #events: Collection<EventDocument>;

  constructor(db: Db) {
    this.#events = db.collection<EventDocument>('events');
  }

  /**
   * The `_id` each event object was first appended with. The leader retries a failed record write
   * with the same objects; when the first attempt was stored but its answer lost (the server died
   * mid-write), the retry hits these ids as duplicates instead of storing the events twice.
   */
  readonly #ids = new WeakMap<ClusterEvent, ObjectId>();

  /**
   * Appends the events, one document each (copies: the driver would add `_id` to its input); an
   * event object appended before is not stored again. Ids are made here, in order, so events of
   * one millisecond still list in append order.
   */
  async append(events: readonly ClusterEvent[]): Promise<void> {
    if (events.length === 0) return;
    const docs = events.map((e) => {
      const { id: stable, ...fields } = plainCopy(e);
      let id = this.#ids.get(e);
      if (!id) {
        // A stable id (the leader's) makes a re-written event a duplicate key.
        id =
          stable !== undefined && /^[0-9a-f]{24}$/i.test(stable)
            ? ObjectId.createFromHexString(stable)
            : new ObjectId();
        this.#ids.set(e, id);
      }
      return { ...fields, _id: id };
    });
    try {
      // Unordered: an event stored by an earlier attempt does not stop the ones after it.
      await this.#events.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!isOnlyDuplicateKeys(err)) throw err;
    }
  }

  /** The latest `limit` matching events, oldest first: read newest first, then reversed. */
  async list(
    filter: { readonly job?: string; readonly kind?: EventKind },
    limit: number,
  ): Promise<ClusterEvent[]> {
    assertLimit(limit);
    const query: Filter<EventDocument> = {
      ...(filter.job !== undefined && { job: filter.job }),
      ...(filter.kind !== undefined && { kind: filter.kind }),
    };
    const docs = await this.#events.find(query).sort({ at: -1, _id: -1 }).limit(limit).toArray();
    return docs.reverse().map(stripId);
  }

  /**
   * The first `limit` matching events with an `_id` above `afterId`, by `_id`, with their ids. The
   * leader's stable ids are the `_id`s (see append), so this is the stream's order.
   */
  async listAfter(
    afterId: string,
    filter: { readonly job?: string; readonly kind?: EventKind },
    limit: number,
  ): Promise<ClusterEvent[]> {
    assertLimit(limit);
    if (!/^[0-9a-f]{24}$/i.test(afterId)) return [];
    const query: Filter<EventDocument> = {
      _id: { $gt: ObjectId.createFromHexString(afterId) },
      ...(filter.job !== undefined && { job: filter.job }),
      ...(filter.kind !== undefined && { kind: filter.kind }),
    };
    const docs = await this.#events.find(query).sort({ _id: 1 }).limit(limit).toArray();
    return docs.map((d) => ({ ...stripId(d), id: d._id.toHexString() }));
  }

  /** Deletes events with `at < beforeMs`. */
  async deleteBefore(beforeMs: number): Promise<number> {
    return (await this.#events.deleteMany({ at: { $lt: beforeMs } })).deletedCount;
  }
}

/** {@link UsageStore} on MongoDB: one document per sample in `usage`, never a rewritten array. */
export class MongoUsageStore implements UsageStore {
  readonly #usage: Collection<UsageDocument>;

  constructor(db: Db) {
    this.#usage = db.collection<UsageDocument>('usage');
  }

  /** Appends the samples, one document each. */
  async append(samples: readonly UsageSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.#usage.insertMany(
      samples.map((s) => plainCopy(s)),
      { ordered: true },
    );
  }

  /** Samples of `workerId` with `fromMs <= at < toMs`, ascending by time. */
  async range(workerId: string, fromMs: number, toMs: number, limit?: number): Promise<UsageSample[]> {
    const cursor = this.#usage.find({ workerId, at: { $gte: fromMs, $lt: toMs } }).sort({ at: 1, _id: 1 });
    const docs = await (
      limit !== undefined && Number.isFinite(limit) ? cursor.limit(limit) : cursor
    ).toArray();
    return docs.map(stripId);
  }

  /** Deletes samples with `at < beforeMs`. */
  async deleteBefore(beforeMs: number): Promise<number> {
    return (await this.#usage.deleteMany({ at: { $lt: beforeMs } })).deletedCount;
  }
}

function stripId<T extends { _id?: ObjectId }>(doc: T): Omit<T, '_id'> {
  const { _id, ...rest } = doc;
  return rest;
}
