/**
 * The leader-lease port: of several JobManager processes, the one holding the lease leads and the
 * others stand by. Like uWSGI Legion's "lord", each candidate has an integer *valor*; when the
 * lease is free it goes to the best live candidate (highest valor, then lowest id), so standbys of
 * different valor never race for it. A leader keeps the lease for as long as it renews it, even
 * when a candidate of higher valor appears: leadership never flaps back and forth. Valor thus
 * decides among candidates already registered when the lease falls free; at a cold start, with
 * nobody registered yet, the first candidate to campaign takes the lease and keeps it.
 *
 * Every acquisition gets a fencing token that is strictly greater than every earlier one, even
 * after the lease expired. A leader stamps its writes with its token and the store refuses a
 * token lower than the highest it has seen, so a deposed leader that has not noticed yet (a long
 * GC pause, a partition) cannot overwrite its successor's work.
 *
 * Adapters: Redis (`redis-leader-lease.ts`) and in memory (`memory-leader-lease.ts`); both pass
 * test/support/leader-lease-contract.ts. `LeaseKeeper` (lease-keeper.ts) drives the port for a process.
 */

/** A candidate for the lease: who it is and how much it wants to lead. */
export interface LeaseCandidate {
  /**
   * Unique per process incarnation (say `host:pid:random`): printable ASCII without spaces, at
   * most {@link MAX_CANDIDATE_ID_LENGTH} characters. A restarted process must not reuse the id of
   * its previous life, or it would adopt that life's lease and token.
   */
  readonly id: string;
  /** Higher valor wins a free lease; a safe integer, negative allowed. */
  readonly valor: number;
}

/** The lease as held: its holder and the fencing token of this acquisition. */
export interface LeaseHolder extends LeaseCandidate {
  /** Strictly increasing across acquisitions; never reused. Starts at 1. */
  readonly token: number;
}

/**
 * What a {@link LeaderLease.campaign} got:
 * - `held`: this candidate holds the lease with `token` (newly acquired, or already its own);
 * - `taken`: another candidate holds it;
 * - `deferred`: the lease is free but `preferred`, a better live candidate, is due to take it.
 */
export type CampaignResult =
  | { readonly outcome: 'held'; readonly token: number }
  | { readonly outcome: 'taken'; readonly leader: LeaseHolder }
  | { readonly outcome: 'deferred'; readonly preferred: LeaseCandidate };

/**
 * One candidate's handle on a named lease. Every operation is atomic where the lease lives (one
 * Lua script on Redis), and all expiry is measured by that store's clock, never the caller's.
 * Operations reject when the store cannot be reached; they never guess.
 */
export interface LeaderLease {
  /** Who campaigns through this handle. */
  readonly candidate: LeaseCandidate;
  /** How long an acquisition or a renewal holds the lease, in ms. */
  readonly ttlMs: number;
  /**
   * Registers the candidate as live for `candidacyMs` and, if the lease is free and this is the
   * best live candidate, takes it with a new token for `ttlMs`. Called periodically by standbys.
   * If this candidate already holds the lease, it keeps its token and the TTL is extended.
   */
  campaign(): Promise<CampaignResult>;
  /**
   * Extends the lease to `ttlMs` from now and refreshes the candidacy, if this candidate still
   * holds it with `token`. False once the lease expired, even if nobody took it since.
   */
  renew(token: number): Promise<boolean>;
  /**
   * Steps down: withdraws the candidacy and, when `token` is given and the lease is still held
   * with it, deletes the lease at once and tells the standbys ({@link onReleased}). True only if
   * the lease was deleted. A candidate that stays around and campaigns again registers anew.
   */
  release(token?: number): Promise<boolean>;
  /** The current holder, or undefined when the lease is free. */
  current(): Promise<LeaseHolder | undefined>;
  /**
   * Calls `listener` when any candidate releases the lease, so standbys campaign at once instead
   * of at their next poll (also the releasing candidate's own listeners). Adapters listen from
   * the moment the handle exists, but delivery is best effort: a notification lost while the
   * connection was down only costs a poll interval.
   * @returns a function that removes the listener.
   */
  onReleased(listener: () => void): () => void;
  /** Releases connections; does not release the lease (see {@link release}). */
  close(): Promise<void>;
}

/** Options every adapter takes. */
export interface LeaseOptions {
  readonly candidate: LeaseCandidate;
  /** Lease lifetime per acquisition or renewal, in ms (integer, at least {@link MIN_TTL_MS}). */
  readonly ttlMs: number;
  /**
   * How long a campaign or renewal keeps the candidate registered as live, in ms. A candidate
   * that stops campaigning stops blocking lower-valor standbys after this long. Keep it at or
   * below `ttlMs` so a crashed leader's candidacy lapses no later than its lease.
   * @defaultValue `ttlMs`
   */
  readonly candidacyMs?: number;
}

/** {@link LeaseOptions} checked, with defaults applied. */
export interface ResolvedLeaseOptions {
  readonly candidate: LeaseCandidate;
  readonly ttlMs: number;
  readonly candidacyMs: number;
}

/** Shortest lease accepted: below this, network round trips alone would eat the lease. */
export const MIN_TTL_MS = 50;
/** Longest candidate id accepted. */
export const MAX_CANDIDATE_ID_LENGTH = 200;

// Printable ASCII only: the Redis script compares ids byte by byte and JavaScript by UTF-16 code
// unit, which agree on ASCII, so both adapters break valor ties the same way.
const CANDIDATE_ID = new RegExp(`^[\\x21-\\x7e]{1,${MAX_CANDIDATE_ID_LENGTH}}$`);

/**
 * Validates lease options and applies defaults.
 * @throws Error naming the offending field.
 */
export function resolveLeaseOptions(opts: LeaseOptions): ResolvedLeaseOptions {
  const { id, valor } = opts.candidate;
  if (!CANDIDATE_ID.test(id))
    throw new Error(`lease candidate id must be 1-${MAX_CANDIDATE_ID_LENGTH} printable ASCII characters`);
  if (!Number.isSafeInteger(valor)) throw new Error(`lease valor must be a safe integer, got ${valor}`);
  if (!Number.isInteger(opts.ttlMs) || opts.ttlMs < MIN_TTL_MS)
    throw new Error(`lease ttlMs must be an integer >= ${MIN_TTL_MS}, got ${opts.ttlMs}`);
  const candidacyMs = opts.candidacyMs ?? opts.ttlMs;
  if (!Number.isInteger(candidacyMs) || candidacyMs < 1)
    throw new Error(`lease candidacyMs must be a positive integer, got ${candidacyMs}`);
  return { candidate: { id, valor }, ttlMs: opts.ttlMs, candidacyMs };
}

/** True when `a` should lead rather than `b`: higher valor, then the lower id. */
export function outranks(a: LeaseCandidate, b: LeaseCandidate): boolean {
  return a.valor !== b.valor ? a.valor > b.valor : a.id < b.id;
}
