import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './mongo-errors.js';

/**
 * Makes a read-modify-write of one document exclusive. On MongoDB a single-document update with
 * a version filter is already atomic, so {@link nativeGuard} adds nothing. FerretDB v1 (SQLite
 * backend) is not: it evaluates the filter and writes the document back in separate steps, so
 * two `replaceOne({_id, version: 5})` calls can both succeed (measured: every round of 8
 * concurrent writers had several winners). Its unique `_id` insert *is* atomic, so
 * {@link LockGuard} takes a per-document lock through an insert before writing.
 */
export interface WriteGuard {
  /**
   * Runs `write` while no other guarded writer of the same document runs.
   * @returns what `write` returned, or `undefined` when the lock stayed busy (a conflict).
   */
  exclusive<T>(collection: string, id: string, write: () => Promise<T>): Promise<T | undefined>;
}

/** For servers whose single-document writes are atomic (MongoDB). */
export const nativeGuard: WriteGuard = {
  exclusive: (_collection, _id, write) => write(),
};

interface LockDocument {
  _id: string;
  owner: string;
  at: number;
}

/** A lock older than this is held by a writer that crashed; it is broken. */
const STALE_LOCK_MS = 5_000;
/** Tries to take a busy lock before reporting a conflict; each waits a little longer. */
const ACQUIRE_TRIES = 12;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Per-document locks in the `rswarm_locks` collection, taken by inserting `<collection>/<id>`. */
export class LockGuard implements WriteGuard {
  readonly #locks: Collection<LockDocument>;
  /**
   * Guarded writes of this process run one at a time: FerretDB's SQLite backend serialises
   * writes anyway, and concurrent ones only add contention (measured: 458 replaces/s one at a
   * time, 128–185/s with 4–64 in flight).
   */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(db: Db) {
    this.#locks = db.collection<LockDocument>('rswarm_locks');
  }

  exclusive<T>(collection: string, id: string, write: () => Promise<T>): Promise<T | undefined> {
    const run = this.#tail.then(
      () => this.#locked(collection, id, write),
      () => this.#locked(collection, id, write),
    );
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #locked<T>(collection: string, id: string, write: () => Promise<T>): Promise<T | undefined> {
    const key = `${collection}/${id}`;
    const owner = randomUUID();
    if (!(await this.#acquire(key, owner))) return undefined;
    try {
      return await write();
    } finally {
      await this.#locks.deleteOne({ _id: key, owner });
    }
  }

  async #acquire(key: string, owner: string): Promise<boolean> {
    for (let i = 0; i < ACQUIRE_TRIES; i++) {
      try {
        await this.#locks.insertOne({ _id: key, owner, at: Date.now() });
        return true;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      const held = await this.#locks.findOne({ _id: key });
      if (held && Date.now() - held.at > STALE_LOCK_MS) {
        // Its writer died holding it. Only the holder's exact lock is removed; the insert that
        // follows decides between writers racing to break it.
        await this.#locks.deleteOne({ _id: key, owner: held.owner });
        continue;
      }
      await pause(1 + i * 2);
    }
    return false;
  }
}

/** Chooses the guard a server needs: FerretDB announces itself in `buildInfo`. */
export async function writeGuardFor(db: Db, mode: 'auto' | 'lock' | 'native' = 'auto'): Promise<WriteGuard> {
  if (mode === 'lock') return new LockGuard(db);
  if (mode === 'native') return nativeGuard;
  const info = (await db.admin().command({ buildInfo: 1 })) as { ferretdbVersion?: string };
  return info.ferretdbVersion ? new LockGuard(db) : nativeGuard;
}
