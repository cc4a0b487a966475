import {
  LogFencedError,
  type ClaimedTerm,
  type ControlLog,
  type FenceReason,
  type LogEntry,
  type LogRecord,
  type TermClaim,
} from './control-log.js';
import { decodeRecord, type LogStorage, type StoredLogRecord } from './log-storage.js';

/**
 * How many times a claim retries when other writers keep taking the seq it aims at. Each retry
 * reads the log, so a deposed leader that is still appending loses the race within a few rounds
 * (it needs a round trip per batch too); the bound only turns a livelock into an error.
 */
const MAX_CLAIM_ATTEMPTS = 100;

/**
 * The {@link ControlLog} every adapter shares: validation, terms and fencing on top of a
 * {@link LogStorage}. Appends of one handle run one after another, in call order, so a leader may
 * issue the next batch before the previous one settled.
 */
export class FencedLog<T> implements ControlLog<T> {
  readonly #storage: LogStorage;
  #highestTerm = 0;
  #fenced = false;
  #lastWrittenSeq: number | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(storage: LogStorage) {
    this.#storage = storage;
  }

  get highestTerm(): number {
    return this.#highestTerm;
  }

  get fenced(): boolean {
    return this.#fenced;
  }

  get lastWrittenSeq(): number | undefined {
    return this.#lastWrittenSeq;
  }

  /** Persists a batch (see {@link ControlLog.append}). */
  append(entries: readonly LogEntry<T>[]): Promise<void> {
    return this.#serial(() => this.#append(entries));
  }

  /** Every record after `afterSeq`, ascending (see {@link ControlLog.readAfter}). */
  async *readAfter(afterSeq: number): AsyncIterable<LogRecord<T>> {
    assertSeq(afterSeq, 'afterSeq', 0);
    for await (const page of this.#storage.scanAfter(afterSeq)) {
      for (const record of page) {
        this.#highestTerm = Math.max(this.#highestTerm, record.term);
        yield decodeRecord<T>(record);
      }
    }
  }

  /** Takes the log over (see {@link ControlLog.claimTerm} for the protocol). */
  claimTerm(claim: TermClaim): Promise<ClaimedTerm<T>> {
    return this.#serial(() => this.#claim(claim));
  }

  /** Deletes records through `seq` (see {@link ControlLog.truncateThrough}). */
  truncateThrough(seq: number): Promise<number> {
    return Promise.resolve()
      .then(() => assertSeq(seq, 'seq', 0))
      .then(() => this.#storage.deleteThrough(seq));
  }

  #serial<R>(run: () => Promise<R>): Promise<R> {
    const next = this.#tail.then(run, run);
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async #append(entries: readonly LogEntry<T>[]): Promise<void> {
    const first = entries[0];
    if (!first) return;
    const term = first.term;
    entries.forEach((entry, i) => {
      assertSeq(entry.seq, `entries[${i}].seq`, 1);
      if (entry.seq !== first.seq + i) throw new RangeError(`control log: batch seqs must be consecutive`);
      if (entry.term !== term) throw new RangeError('control log: one batch carries one term');
      assertAt(entry.at);
    });
    assertTerm(term);
    if (this.#lastWrittenSeq !== undefined && first.seq !== this.#lastWrittenSeq + 1) {
      throw new RangeError(
        `control log: batch starts at seq ${first.seq}, but this handle last wrote ${this.#lastWrittenSeq}`,
      );
    }
    if (this.#fenced) throw this.#fence('deposed', 0, first.seq, term);
    if (term < this.#highestTerm) throw this.#fence('stale-term', 0, first.seq, term);
    const records = entries.map((e): StoredLogRecord => ({
      seq: e.seq,
      term: e.term,
      at: e.at,
      kind: 'entry',
      json: e.json ?? toJson(e.payload, e.seq),
    }));
    const persisted = await this.#storage.insert(records);
    this.#highestTerm = term;
    if (persisted > 0) this.#lastWrittenSeq = first.seq + persisted - 1;
    if (persisted < records.length) {
      this.#fenced = true;
      throw this.#fence('duplicate-seq', persisted, first.seq + persisted, term);
    }
  }

  async #claim(claim: TermClaim): Promise<ClaimedTerm<T>> {
    assertTerm(claim.term);
    assertSeq(claim.nextSeq, 'nextSeq', 1);
    assertAt(claim.at);
    if (claim.term <= this.#highestTerm) throw this.#fence('stale-term', 0, claim.nextSeq, claim.term);
    const missed: LogRecord<T>[] = [];
    let seq = claim.nextSeq;
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const start: StoredLogRecord = {
        seq,
        term: claim.term,
        at: claim.at,
        kind: 'term-start',
        json: JSON.stringify(claim.leader),
      };
      if ((await this.#storage.insert([start])) === 1) {
        this.#highestTerm = claim.term;
        this.#lastWrittenSeq = seq;
        this.#fenced = false;
        return { seq, term: claim.term, missed };
      }
      // Someone wrote at `seq` first: what they wrote is durable, so the claimant learns it and
      // aims one past the end. A record of this term or a higher one means a rival claim won.
      let last = seq - 1;
      for await (const record of this.readAfter(seq - 1)) {
        if (record.seq !== last + 1) break;
        if (record.term >= claim.term) throw this.#fence('stale-term', 0, seq, claim.term);
        missed.push(record);
        last = record.seq;
      }
      seq = last + 1;
    }
    throw new Error(
      `control log: could not claim term ${claim.term} after ${MAX_CLAIM_ATTEMPTS} attempts; ` +
        'another writer keeps appending',
    );
  }

  #fence(reason: FenceReason, persisted: number, seq: number, term: number): LogFencedError {
    return new LogFencedError({ reason, persisted, seq, term, highestTerm: this.#highestTerm });
  }
}

function assertSeq(value: number, name: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`control log: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

function assertTerm(term: number): void {
  if (!Number.isSafeInteger(term) || term < 0) {
    throw new RangeError(`control log: term must be an integer >= 0, got ${term}`);
  }
}

function assertAt(at: number): void {
  if (!Number.isFinite(at)) throw new RangeError(`control log: at must be a finite number, got ${at}`);
}

/** JSON text of a payload; a payload JSON cannot represent (undefined, a function) is a bug. */
function toJson(payload: unknown, seq: number): string {
  const json = JSON.stringify(payload);
  if (json === undefined) throw new TypeError(`control log: payload at seq ${seq} is not JSON`);
  return json;
}
