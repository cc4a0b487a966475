/**
 * @module The control log port: the append-only, fenced record of every batch the leading
 * JobManager applied to its in-memory state. A standby that takes over loads the latest snapshot
 * (snapshot-store.ts), replays the log after it, claims a new term and carries on.
 *
 * Fencing rests on one property every adapter has, FerretDB v1 included: inserting a record
 * whose `seq` already exists fails, and exactly one of two racing inserts of the same `seq`
 * wins. Nothing else (no conditional update, no transaction, no index) is relied upon.
 */

/** One applied batch element, as the leader appends it. */
export interface LogEntry<T> {
  /** Position in the log: 1, 2, 3… with no gaps. */
  readonly seq: number;
  /** The writing leader's term (its fencing token); never lower than any term already logged. */
  readonly term: number;
  /** When it was applied, in ms since the epoch. */
  readonly at: number;
  /** Opaque to the log; stored as JSON, so it comes back as `JSON.parse(JSON.stringify(payload))`. */
  readonly payload: T;
  /**
   * `JSON.stringify(payload)`, when the writer already has it (it sized its entries with it):
   * stored as given, so the payload is not serialized twice. Must be exactly that text.
   */
  readonly json?: string;
}

/** The record a new leader writes to take the log over (see {@link ControlLog.claimTerm}). */
export interface TermStart {
  readonly seq: number;
  readonly term: number;
  readonly at: number;
  /** Who claimed the term, for operators reading the log. */
  readonly leader: string;
}

/** What {@link ControlLog.readAfter} yields: an entry or a term start, told apart by `kind`. */
export type LogRecord<T> =
  ({ readonly kind: 'entry' } & LogEntry<T>) | ({ readonly kind: 'term-start' } & TermStart);

/** Arguments of {@link ControlLog.claimTerm}. */
export interface TermClaim {
  /** The new term: higher than every term this handle has seen. */
  readonly term: number;
  /** One past the last record the claimant has read and applied (1 for an empty log). */
  readonly nextSeq: number;
  readonly leader: string;
  readonly at: number;
}

/** A successful claim. */
export interface ClaimedTerm<T> {
  /** Where the term start landed; the new leader's first entry goes at `seq + 1`. */
  readonly seq: number;
  readonly term: number;
  /**
   * Records other writers put at or after `nextSeq` before the claim landed, ascending. They are
   * durable, so the new leader must apply them before anything of its own.
   */
  readonly missed: readonly LogRecord<T>[];
}

/** Why a writer was fenced. */
export type FenceReason =
  /** A record already sits at one of the batch's seqs: another leader wrote there. */
  | 'duplicate-seq'
  /** The batch (or claim) carries a term lower than one this handle has seen. */
  | 'stale-term'
  /** This handle was fenced before; it refuses to write until it claims a new term. */
  | 'deposed';

/**
 * This writer is no longer the leader. `persisted` leading entries of the rejected batch were
 * written and are durable: the next leader replays them, so the caller must treat them as applied
 * (and everything after them as never having happened) and step down.
 */
export class LogFencedError extends Error {
  /** Stable code for callers and logs. */
  readonly code = 'LOG_FENCED';
  readonly reason: FenceReason;
  /** How many leading entries of the batch are durable (0 when nothing was written). */
  readonly persisted: number;
  /** The seq that was refused (the first not persisted). */
  readonly seq: number;
  /** The term the refused write carried. */
  readonly term: number;
  /** The highest term the handle knew of when it refused. */
  readonly highestTerm: number;

  constructor(fields: {
    reason: FenceReason;
    persisted: number;
    seq: number;
    term: number;
    highestTerm: number;
  }) {
    super(
      `control log: writer of term ${fields.term} is fenced at seq ${fields.seq} (${fields.reason}; ` +
        `${fields.persisted} entr${fields.persisted === 1 ? 'y' : 'ies'} of the batch persisted, ` +
        `highest term seen ${fields.highestTerm})`,
    );
    this.name = 'LogFencedError';
    this.reason = fields.reason;
    this.persisted = fields.persisted;
    this.seq = fields.seq;
    this.term = fields.term;
    this.highestTerm = fields.highestTerm;
  }
}

/** True when `err` is a {@link LogFencedError} (also across module copies, by code). */
export function isLogFencedError(err: unknown): err is LogFencedError {
  return err instanceof LogFencedError || (err as { code?: unknown } | null)?.code === 'LOG_FENCED';
}

/**
 * One handle on the control log. Several handles may share a store (two JobManagers on one
 * database, or two writers in a test); each fences itself through the duplicate-seq rule and the
 * highest term it has seen.
 *
 * Takeover protocol:
 * 1. the standby loads the latest snapshot (seq S) and applies {@link readAfter}(S) in order,
 *    ending at seq N;
 * 2. it calls {@link claimTerm} with a fresh, higher term and `nextSeq = N + 1`. That inserts a
 *    term start at N + 1. If the old leader got there first the insert fails; the claimant reads
 *    what was written (returned in `missed`), and retries one past it;
 * 3. once the term start lands at seq M, the deposed leader can never append again: it only
 *    writes consecutive seqs after the last it wrote, which is below M, so its next append
 *    targets a seq <= M that already exists and fails with a duplicate key
 *    ({@link LogFencedError}). Every record below M was read by the new leader, so the two
 *    never disagree about the log.
 *
 * Entries therefore must be appended consecutively: a handle that appended or claimed refuses a
 * batch that does not start right after its last write (a gap would let a deposed leader write
 * past the claim).
 */
export interface ControlLog<T> {
  /**
   * Persists a batch in order with one (or, for huge batches, a few) insert round trips. An empty
   * batch does nothing. All entries carry one term and consecutive seqs.
   * @throws LogFencedError when a seq is taken, the term is stale, or the handle is deposed.
   * @throws RangeError for a malformed batch (gap, mixed terms, not right after the last write).
   */
  append(entries: readonly LogEntry<T>[]): Promise<void>;
  /**
   * Every record with `seq > afterSeq`, ascending. A full scan on FerretDB: meant for start-up
   * and takeover, not the hot path. Raises the handle's highest term to what it reads.
   */
  readAfter(afterSeq: number): AsyncIterable<LogRecord<T>>;
  /**
   * Takes the log over for `claim.term` (protocol above).
   * @throws LogFencedError (`stale-term`) when the log already holds this term or a higher one.
   */
  claimTerm(claim: TermClaim): Promise<ClaimedTerm<T>>;
  /**
   * Deletes every record with `seq <= seq` (covered by a saved snapshot). One delete; rare.
   * @returns how many records were deleted.
   */
  truncateThrough(seq: number): Promise<number>;
  /** The highest term this handle has appended, claimed or read. */
  readonly highestTerm: number;
  /** True once this handle was fenced; cleared by a successful {@link claimTerm}. */
  readonly fenced: boolean;
  /** The last seq this handle appended or claimed, if any. */
  readonly lastWrittenSeq: number | undefined;
}
