import { MongoBulkWriteError, type Collection, type WriteError } from 'mongodb';
import { isDuplicateKeyError } from '../store/mongo-errors.js';
import { cursorPages, insertGroups } from './cursor-pages.js';
import type { LogStorage, ReadLogRecord, StoredLogRecord } from './log-storage.js';

/** A log record in MongoDB: `_id` is the seq, the payload is JSON text. */
export interface LogDocument {
  _id: number;
  term: number;
  at: number;
  kind: 'entry' | 'term-start';
  /**
   * The payload as JSON text, not as a BSON object: the log never queries into it, JSON
   * semantics stay exactly those of the other adapters, and no payload key can trip the
   * server's field-name rules.
   */
  json: string;
}

/** Documents per insertMany: one command each (the server's batch limit is far higher). */
const INSERT_DOCS = 1000;
/** JSON bytes per insertMany, under the 48 MB message limit so the driver does not split it. */
const INSERT_BYTES = 16 * 1024 * 1024;
/** Documents per cursor batch when reading the log back. */
const READ_BATCH = 2000;

/**
 * {@link LogStorage} on MongoDB or FerretDB: the hot path is ordered inserts only, keyed by seq,
 * so a taken seq fails with a duplicate key (11000) on both, and exactly one of two racing
 * inserts wins. That is the only server guarantee used; FerretDB v1's scans on find and delete
 * are left to start-up and truncation.
 */
export class MongoLogStorage implements LogStorage {
  readonly #log: Collection<LogDocument>;
  #roundTrips = 0;

  constructor(log: Collection<LogDocument>) {
    this.#log = log;
  }

  get roundTrips(): number {
    return this.#roundTrips;
  }

  async insert(records: readonly StoredLogRecord[]): Promise<number> {
    const docs = records.map((r): LogDocument => ({
      _id: r.seq,
      term: r.term,
      at: r.at,
      kind: r.kind,
      json: r.json,
    }));
    let inserted = 0;
    for (const group of insertGroups(docs, (d) => d.json.length + 64, INSERT_DOCS, INSERT_BYTES)) {
      this.#roundTrips++;
      try {
        await this.#log.insertMany(group, { ordered: true });
      } catch (err) {
        if (!isDuplicateKeyError(err) || !(err instanceof MongoBulkWriteError)) throw err;
        // Ordered: the server stopped at the first taken seq; everything before it is stored.
        const errors: readonly WriteError[] = Array.isArray(err.writeErrors)
          ? (err.writeErrors as WriteError[])
          : [err.writeErrors as WriteError];
        const first = Math.min(err.insertedCount, ...errors.map((e) => e.index));
        return inserted + first;
      }
      inserted += group.length;
    }
    return inserted;
  }

  async *scanAfter(afterSeq: number): AsyncIterable<readonly ReadLogRecord[]> {
    const cursor = this.#log
      .find({ _id: { $gt: afterSeq } })
      .sort({ _id: 1 })
      .batchSize(READ_BATCH);
    for await (const page of cursorPages(cursor, () => this.#roundTrips++)) {
      yield page.map((d) => ({
        seq: d._id,
        term: d.term,
        at: d.at,
        kind: d.kind,
        value: JSON.parse(d.json) as unknown,
      }));
    }
  }

  async deleteThrough(seq: number): Promise<number> {
    this.#roundTrips++;
    const { deletedCount } = await this.#log.deleteMany({ _id: { $lte: seq } });
    return deletedCount;
  }
}
