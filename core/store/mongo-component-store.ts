import type { Collection, Db } from 'mongodb';
import type { ComponentRecord } from '../model/records.js';
import { plainCopy } from './plain-copy.js';
import type { ComponentStore } from './store-ports.js';

type ComponentDocument = Omit<ComponentRecord, 'id'> & { _id: string };

/**
 * {@link ComponentStore} on MongoDB: one document per component instance in `components`.
 * Each document has one writer (the process it describes), so plain upserts suffice; no
 * conditional write or lock is needed even on FerretDB.
 */
export class MongoComponentStore implements ComponentStore {
  readonly #components: Collection<ComponentDocument>;

  constructor(db: Db) {
    this.#components = db.collection<ComponentDocument>('components');
  }

  /** Upserts the record by id. */
  async announce(component: ComponentRecord): Promise<void> {
    const { id, ...rest } = plainCopy(component);
    await this.#components.replaceOne({ _id: id }, rest, { upsert: true });
  }

  /** Every record, ordered by (name, id). */
  async list(): Promise<ComponentRecord[]> {
    const docs = await this.#components.find({}).sort({ name: 1, _id: 1 }).toArray();
    return docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
  }

  /** Deletes the record with this id. */
  async remove(id: string): Promise<boolean> {
    return (await this.#components.deleteOne({ _id: id })).deletedCount === 1;
  }

  /** Deletes records with `lastSeenAt < beforeMs`. */
  async deleteSilentBefore(beforeMs: number): Promise<number> {
    return (await this.#components.deleteMany({ lastSeenAt: { $lt: beforeMs } })).deletedCount;
  }
}
