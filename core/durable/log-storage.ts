/**
 * @module What a control-log adapter stores and does. Adapters are deliberately dumb: an ordered
 * insert that stops at the first taken seq, a scan, a delete. Terms, fencing and validation live
 * once in FencedLog (fenced-log.ts), so the three adapters cannot differ in them.
 */

/** A record on its way into storage; the payload is already JSON text. */
export interface StoredLogRecord {
  readonly seq: number;
  readonly term: number;
  readonly at: number;
  readonly kind: 'entry' | 'term-start';
  /** JSON text of the entry's payload, or of the leader's name for a term start. */
  readonly json: string;
}

/** A record read back from storage, its JSON already parsed. */
export interface ReadLogRecord {
  readonly seq: number;
  readonly term: number;
  readonly at: number;
  readonly kind: 'entry' | 'term-start';
  readonly value: unknown;
}

/** The storage side of a control log (one per store; FencedLog handles share it). */
export interface LogStorage {
  /**
   * Inserts `records` in order and stops at the first whose seq is already stored (or repeats an
   * earlier one of the batch); the records before it are durable when this resolves.
   * @returns how many leading records were inserted (`records.length` when all were).
   * @throws on any failure other than a taken seq (then nothing is known about durability).
   */
  insert(records: readonly StoredLogRecord[]): Promise<number>;
  /** Records with `seq > afterSeq`, ascending, in pages. */
  scanAfter(afterSeq: number): AsyncIterable<readonly ReadLogRecord[]>;
  /** Deletes records with `seq <= seq`. @returns how many. */
  deleteThrough(seq: number): Promise<number>;
  /** Round trips to the store so far (inserts, cursor batches, deletes; file: write+sync or read). */
  readonly roundTrips: number;
}

/** `record` as the caller-facing shape, with `value` decoded for its kind. */
export function decodeRecord<T>(
  record: ReadLogRecord,
):
  | { kind: 'entry'; seq: number; term: number; at: number; payload: T }
  | { kind: 'term-start'; seq: number; term: number; at: number; leader: string } {
  const { seq, term, at } = record;
  return record.kind === 'entry'
    ? { kind: 'entry', seq, term, at, payload: record.value as T }
    : { kind: 'term-start', seq, term, at, leader: String(record.value) };
}
