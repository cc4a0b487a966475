import { MongoServerError } from 'mongodb';

/** MongoDB's (and FerretDB's) code for a unique-index violation. */
const DUPLICATE_KEY = 11000;

/** True when `err` is a duplicate-key error, i.e. an insert lost a race for an `_id`. */
export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}
