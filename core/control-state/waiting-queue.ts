/**
 * The waiting jobs in scheduling order (submit time, then name), kept as jobs change so a round
 * reads the oldest `limit` in O(limit) instead of scanning and sorting every live job.
 *
 * A sorted array with binary search: a change costs O(log W) to find plus a move of the entries
 * behind it (a memmove, microseconds for 100,000 entries), which beats a balanced tree's
 * constant at every queue length a cycle sees.
 */

interface Entry {
  readonly at: number;
  readonly name: string;
}

/** Scheduling order: earlier submit first, then name in code-unit order. */
function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.name < b.name);
}

/** See the file comment. */
export class WaitingQueue {
  private readonly entries: Entry[] = [];
  /** Name → the submit time it is queued under. */
  private readonly queued = new Map<string, number>();

  /** Number of queued jobs. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * Queues the job under `at`, or takes it out when `at` is undefined (it is not waiting, or is
   * being cancelled, or left live state).
   */
  set(name: string, at: number | undefined): void {
    const held = this.queued.get(name);
    if (held === at) return;
    if (held !== undefined) {
      this.entries.splice(this.position({ at: held, name }), 1);
      this.queued.delete(name);
    }
    if (at === undefined) return;
    const entry = { at, name };
    this.entries.splice(this.position(entry), 0, entry);
    this.queued.set(name, at);
  }

  /** The names of the first `limit` queued jobs, in order. */
  first(limit: number): string[] {
    const end = Math.min(limit, this.entries.length);
    const out = new Array<string>(end);
    for (let i = 0; i < end; i++) out[i] = this.entries[i]!.name;
    return out;
  }

  /** Index of the first entry not before `entry` (where it is, or would go). */
  private position(entry: Entry): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.entries[mid]!, entry)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
