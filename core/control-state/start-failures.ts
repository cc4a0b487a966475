/**
 * Retry-next-node (uWSGI Emperor's throttling and blacklisting): per (worker, group), how many
 * starts in a row failed there and when the last one failed. While a pair is backing off, the
 * scheduler gets the worker in its `avoid` set for that group, so the next placement of the
 * group's task tries the next ranked worker.
 *
 *   failure n (1-based, consecutive)   backoff until
 *   n < blacklistAfter                 lastFailedAt + min(maxMs, baseMs · 2^(n−1))    5 s, 10 s, …
 *   n ≥ blacklistAfter                 lastFailedAt + blacklistMs                     30 min
 *
 * A start that succeeds there (the task reports `running`) resets the pair. The table holds only
 * facts from commands (counts and the command's time), never a clock reading or the policy: the
 * backoff is derived when a round plans, so replaying the log after a snapshot rebuilds exactly
 * the same table, and a changed policy applies to failures already recorded.
 */

/** How long a (worker, group) pair is avoided after failed starts. */
export interface StartBackoffPolicy {
  /** Backoff after the first failure, in ms; doubled for each further one. */
  readonly baseMs: number;
  /** Longest backoff before the blacklist, in ms. */
  readonly maxMs: number;
  /** Consecutive failures after which the pair is blacklisted. */
  readonly blacklistAfter: number;
  /** How long a blacklisted pair is avoided, in ms. */
  readonly blacklistMs: number;
}

/** The defaults (as `scheduler.startBackoff` in config): 5 s doubling to 5 min, 3 failures → 30 min. */
export const DEFAULT_START_BACKOFF: StartBackoffPolicy = Object.freeze({
  baseMs: 5_000,
  maxMs: 300_000,
  blacklistAfter: 3,
  blacklistMs: 1_800_000,
});

/**
 * A pair quiet for this long after its last failure is forgotten (when the next failure anywhere
 * is recorded), so the table does not grow with every group that ever failed. It is a constant,
 * not policy, because forgetting changes the state: it must be the same on every replay. The
 * config schema keeps `blacklistMs` below it.
 */
export const FORGET_START_FAILURES_AFTER_MS = 24 * 3_600_000;

/** One (worker, group) pair with failed starts, as a snapshot stores it. */
export interface StartFailureEntry {
  readonly worker: string;
  readonly group: string;
  /** Consecutive failed starts. */
  readonly failures: number;
  /** Command time of the last one, in ms since the epoch. */
  readonly lastFailedAt: number;
}

/** When a pair stops being avoided under `policy`. */
export function backoffUntil(entry: StartFailureEntry, policy: StartBackoffPolicy): number {
  if (entry.failures >= policy.blacklistAfter) return entry.lastFailedAt + policy.blacklistMs;
  const backoff = policy.baseMs * 2 ** Math.max(0, entry.failures - 1);
  return entry.lastFailedAt + Math.min(policy.maxMs, backoff);
}

const keyOf = (worker: string, group: string): string => `${worker}\u0000${group}`;

/** See the file comment. Changed only by command handlers. */
export class StartFailureTable {
  private readonly entries = new Map<string, StartFailureEntry>();
  /** group → keys of its entries, so a round reads only the groups it plans. */
  private readonly byGroup = new Map<string, Set<string>>();

  get size(): number {
    return this.entries.size;
  }

  /** A start of `group`'s task failed on `worker` at command time `at`. */
  failed(worker: string, group: string, at: number): void {
    this.forgetBefore(at - FORGET_START_FAILURES_AFTER_MS);
    const key = keyOf(worker, group);
    const failures = (this.entries.get(key)?.failures ?? 0) + 1;
    this.set({ worker, group, failures, lastFailedAt: at });
  }

  /** A start of `group`'s task succeeded on `worker`: the pair starts over. */
  started(worker: string, group: string): void {
    this.delete(keyOf(worker, group));
  }

  /** The worker left the cluster: its pairs go with it. */
  dropWorker(worker: string): void {
    for (const [key, e] of this.entries) if (e.worker === worker) this.delete(key);
  }

  /**
   * The scheduler's avoid set for `groups` at time `now`: group → workers still backing off,
   * ids ascending (plain data, so a plan's inputs can be logged and compared).
   */
  avoidAt(groups: Iterable<string>, now: number, policy: StartBackoffPolicy): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const group of groups) {
      const keys = this.byGroup.get(group);
      if (keys === undefined) continue;
      const workers: string[] = [];
      for (const key of keys) {
        const e = this.entries.get(key)!;
        if (backoffUntil(e, policy) > now) workers.push(e.worker);
      }
      if (workers.length > 0) out[group] = workers.sort();
    }
    return out;
  }

  /** The earliest time after `now` at which some pair of `groups` stops being avoided, if any. */
  nextExpiry(groups: Iterable<string>, now: number, policy: StartBackoffPolicy): number | undefined {
    let next: number | undefined;
    for (const group of groups) {
      for (const key of this.byGroup.get(group) ?? []) {
        const until = backoffUntil(this.entries.get(key)!, policy);
        if (until > now && (next === undefined || until < next)) next = until;
      }
    }
    return next;
  }

  /** The entry of a pair, if it has failed starts. */
  get(worker: string, group: string): StartFailureEntry | undefined {
    return this.entries.get(keyOf(worker, group));
  }

  /** Every entry, ordered by worker then group: what a snapshot stores. */
  list(): StartFailureEntry[] {
    return [...this.entries.values()].sort((a, b) =>
      a.worker !== b.worker
        ? a.worker < b.worker
          ? -1
          : 1
        : a.group < b.group
          ? -1
          : a.group > b.group
            ? 1
            : 0,
    );
  }

  /** Restores entries from a snapshot. */
  restore(entries: readonly StartFailureEntry[]): void {
    for (const e of entries) this.set({ ...e });
  }

  private set(entry: StartFailureEntry): void {
    const key = keyOf(entry.worker, entry.group);
    this.entries.set(key, entry);
    let keys = this.byGroup.get(entry.group);
    if (keys === undefined) this.byGroup.set(entry.group, (keys = new Set()));
    keys.add(key);
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    const keys = this.byGroup.get(e.group);
    keys?.delete(key);
    if (keys?.size === 0) this.byGroup.delete(e.group);
  }

  private forgetBefore(cutoff: number): void {
    for (const [key, e] of this.entries) if (e.lastFailedAt < cutoff) this.delete(key);
  }
}
