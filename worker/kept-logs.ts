import type { KeptLogLimits } from '../core/config/index.js';
import type { LogLine } from '../core/protocol/index.js';

/** Why a task's logs are not (or no longer) kept. */
export type KeptLogsGone =
  /** Pushed out by newer ended tasks: more than `keptLogTasks` ended after it. */
  | { readonly kind: 'tasks' }
  /** Pushed out to stay within `keptLogBytes`. */
  | { readonly kind: 'bytes' }
  /** Its output could not be read before its container was removed (the engine's words). */
  | { readonly kind: 'unreadable'; readonly reason: string };

/** UTF-8 bytes one kept line costs: its text, its timestamp and a newline. */
export function keptLineBytes(l: LogLine): number {
  return Buffer.byteLength(l.text, 'utf8') + l.at.length + 1;
}

interface Entry {
  readonly lines: readonly LogLine[];
  readonly bytes: number;
}

/** Keys remembered as gone per kept task (so "evicted" can be told from "never here"). */
const GONE_PER_KEPT = 10;
const MIN_GONE = 1000;

/**
 * The last output of ended tasks whose containers a worker has removed, by task key, in memory
 * and bounded three ways: at most `keptLogLines` lines per task (its last ones), `keptLogTasks`
 * tasks and `keptLogBytes` over all of them; the task that ended longest ago goes first. Why a
 * key is missing (evicted for tasks or bytes, unreadable) is remembered for a bounded number of
 * keys, so a reader can be told. Pure: no I/O, no clock.
 */
export class KeptLogs {
  /** Oldest first (a Map keeps insertion order; a re-kept task moves to the end). */
  private readonly entries = new Map<string, Entry>();
  private readonly gone = new Map<string, KeptLogsGone>();
  private total = 0;

  constructor(readonly limits: KeptLogLimits) {}

  /**
   * Keeps `lines` (oldest first) as `key`'s output, replacing what was kept for it: only the last
   * `keptLogLines` of them, and only the last ones that fit in `keptLogBytes`. Then older tasks
   * are dropped until both the task and the byte cap hold.
   * @returns the keys dropped to make room (so a copy on disk can follow)
   */
  keep(key: string, lines: readonly LogLine[]): string[] {
    this.drop(key);
    this.gone.delete(key);
    const { keptLogLines, keptLogTasks, keptLogBytes } = this.limits;
    if (keptLogTasks === 0) {
      this.remember(key, { kind: 'tasks' });
      return [key];
    }
    let kept = lines.slice(Math.max(0, lines.length - keptLogLines));
    let bytes = 0;
    let first = kept.length;
    // The newest lines that fit in the byte cap (a task alone never holds more than all may).
    while (first > 0) {
      const n = keptLineBytes(kept[first - 1] as LogLine);
      if (bytes + n > keptLogBytes) break;
      bytes += n;
      first--;
    }
    kept = kept.slice(first);
    this.entries.set(key, { lines: kept, bytes });
    this.total += bytes;
    const evicted: string[] = [];
    while (this.entries.size > keptLogTasks) evicted.push(...this.evictOldest({ kind: 'tasks' }));
    while (this.total > keptLogBytes && this.entries.size > 1)
      evicted.push(...this.evictOldest({ kind: 'bytes' }));
    return evicted;
  }

  /** What is kept of `key`, oldest line first; undefined when nothing is. */
  get(key: string): readonly LogLine[] | undefined {
    return this.entries.get(key)?.lines;
  }

  /** Why `key` is not kept, when it was once (or could not be); undefined for a key never seen. */
  whyGone(key: string): KeptLogsGone | undefined {
    return this.entries.has(key) ? undefined : this.gone.get(key);
  }

  /** Records that `key`'s output could not be read (nothing is kept for it). */
  unreadable(key: string, reason: string): void {
    this.drop(key);
    this.remember(key, { kind: 'unreadable', reason });
  }

  /** Forgets `key` (a task that starts again on this worker under the same ref). */
  drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.total -= e.bytes;
  }

  /** Tasks kept now. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes kept now (see {@link keptLineBytes}). */
  get bytes(): number {
    return this.total;
  }

  private evictOldest(why: KeptLogsGone): string[] {
    const oldest = this.entries.keys().next().value;
    if (oldest === undefined) return [];
    this.drop(oldest);
    this.remember(oldest, why);
    return [oldest];
  }

  private remember(key: string, why: KeptLogsGone): void {
    this.gone.delete(key);
    this.gone.set(key, why);
    const cap = Math.max(MIN_GONE, GONE_PER_KEPT * this.limits.keptLogTasks);
    while (this.gone.size > cap) {
      const oldest = this.gone.keys().next().value;
      if (oldest === undefined) break;
      this.gone.delete(oldest);
    }
  }
}
