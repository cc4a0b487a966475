import { AppError } from '../errors/index.js';
import type { JobRecord } from '../model/records.js';

/**
 * The one order of job listings, shared by both adapters: by `submittedAt`, then by name. Names
 * are unique, so the order is total and a page boundary can be described by the last item.
 * Names are ASCII (see the `Name` schema in openapi/openapi.yaml), so JavaScript's code-unit
 * comparison and MongoDB's byte-wise comparison agree.
 */

/** Where a page ended: the (submittedAt, name) of its last job. */
export interface JobCursor {
  readonly submittedAt: number;
  readonly name: string;
}

/** Compares two jobs in listing order (negative when `a` comes first). */
export function compareJobOrder(a: JobCursor, b: JobCursor): number {
  if (a.submittedAt !== b.submittedAt) return a.submittedAt - b.submittedAt;
  if (a.name === b.name) return 0;
  return a.name < b.name ? -1 : 1;
}

/** True when `job` comes strictly after the cursor position. */
export function isAfterCursor(job: JobCursor, cursor: JobCursor): boolean {
  return compareJobOrder(job, cursor) > 0;
}

/** The opaque cursor for the page that follows `last`: base64url of `[submittedAt, name]`. */
export function encodeJobCursor(last: Pick<JobRecord, 'submittedAt' | 'name'>): string {
  return Buffer.from(JSON.stringify([last.submittedAt, last.name]), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeJobCursor}. Cursors come back from clients, so anything
 * else is a validation error (HTTP 400), not an internal one.
 *
 * @throws AppError `VALIDATION_FAILED` for a malformed cursor.
 */
export function decodeJobCursor(cursor: string): JobCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'number' &&
    Number.isFinite(parsed[0]) &&
    typeof parsed[1] === 'string'
  ) {
    return { submittedAt: parsed[0], name: parsed[1] };
  }
  throw new AppError('VALIDATION_FAILED', 'The cursor is not one this server issued.', [
    { code: 'FIELD_FORMAT', pointer: '/cursor', message: 'cursor is malformed; use a nextCursor as given' },
  ]);
}

/**
 * Checks a page size. MongoDB reads `limit(0)` as "no limit", so a zero or negative limit must
 * never reach it; both adapters refuse it the same way.
 *
 * @throws RangeError when `limit` is not a positive integer.
 */
export function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
}
