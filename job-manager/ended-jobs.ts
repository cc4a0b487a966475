import type { JobRecord } from '../core/model/records.js';

/** Ended jobs a leader keeps for reads by name. */
const RECENTLY_ENDED = 10_000;

/**
 * The jobs a leader ended, as reads by name need them: the last {@link RECENTLY_ENDED} (a read of
 * a just-finished job needs no history scan) and every one whose history is not yet written
 * (reads must still find it). Cleared when the leader steps down.
 */
export class EndedJobs {
  /** The last jobs this leader ended, newest last. */
  private readonly recent = new Map<string, JobRecord>();
  /** Ended jobs not yet in history. */
  private readonly pendingHistory = new Map<string, JobRecord>();

  /** A recently ended job by name. */
  get(name: string): JobRecord | undefined {
    return this.recent.get(name);
  }

  /** Ended jobs whose history is not yet written. */
  unwritten(): Iterable<JobRecord> {
    return this.pendingHistory.values();
  }

  /** A job that ended in the replayed log (its history is written again by the recovery). */
  keep(j: JobRecord): void {
    this.recent.set(j.name, j);
    this.trim();
  }

  /** A job that left the state just now: found here until its history is written. */
  add(j: JobRecord): void {
    this.pendingHistory.set(j.name, j);
    this.recent.delete(j.name);
    this.recent.set(j.name, j);
    this.trim();
  }

  /** Its history is written (unless a newer end of the same name replaced it meanwhile). */
  written(j: JobRecord): void {
    if (this.pendingHistory.get(j.name) === j) this.pendingHistory.delete(j.name);
  }

  /** Retention: ended jobs before `before` are no longer answered from memory either. */
  forget(before: number): void {
    for (const [name, j] of this.recent)
      if ((j.finishedAt ?? j.submittedAt) < before) this.recent.delete(name);
  }

  clear(): void {
    this.recent.clear();
    this.pendingHistory.clear();
  }

  private trim(): void {
    if (this.recent.size > RECENTLY_ENDED) this.recent.delete(this.recent.keys().next().value as string);
  }
}
