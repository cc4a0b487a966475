import { MongoServerError } from 'mongodb';

/** MongoDB's (and FerretDB's) code for a unique-index violation. */
const DUPLICATE_KEY = 11000;

/** True when `err` is a duplicate-key error, i.e. an insert lost a race for an `_id`. */
export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}

/**
 * True when every write of a failed insert hit an `_id` that exists: an unordered bulk insert
 * reports each failed document (FerretDB may report a lone one as a plain duplicate-key error).
 */
export function isOnlyDuplicateKeys(err: unknown): boolean {
  const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
  const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as {
    code: number;
  }[];
  if (list.length === 0) return isDuplicateKeyError(err);
  return err instanceof MongoServerError && list.every((e) => e.code === DUPLICATE_KEY);
}
