import type { LoggedCommands } from '../core/control-state/index.js';
import type { ControlLog } from '../core/durable/control-log.js';
import { bounded } from './bounded.js';
import type { CycleBatch } from './cycle-batch.js';
import { logEntries, persistedCommands } from './log-entries.js';

/**
 * A leader's end of the control log: the term it writes under, where its next entry goes, and
 * the append of one cycle's commands. Kept apart from the leader so the numbering of entries
 * (which a successor replaying them must compute alike) and the answers owed after a failed
 * append stay together, out of the leader's lifecycle.
 */
export class LeaderLog {
  /** The fencing term this leader claimed (set by the takeover). */
  term = 0;
  /** Where this leader's next entry goes (set by the takeover). */
  nextSeq = 1;

  constructor(private readonly log: ControlLog<LoggedCommands>) {}

  /**
   * Appends `logged`'s commands (at least one) as this term's entries, numbered from `nextSeq`;
   * an append that has not settled within `timeoutMs` counts as failed.
   * @returns the seq of the cycle's last entry (its records are written through it)
   * @throws the append's error, once `logged`'s intents are answered (see
   *   {@link CycleBatch.failAppend}): the leader's memory is then ahead of the log
   */
  async append(logged: CycleBatch, at: number, timeoutMs: number): Promise<number> {
    const { entries, groups } = logEntries(
      logged.commands,
      logged.fx.events,
      logged.produced,
      this.term,
      at,
      this.nextSeq,
    );
    const throughSeq = this.nextSeq + groups.length - 1;
    try {
      await bounded(this.log.append(entries), timeoutMs, 'control log append');
    } catch (err) {
      // Commands in the entries a fenced append did persist.
      const persisted = persistedCommands(groups, err);
      logged.failAppend(persisted, err as Error);
      throw err;
    }
    this.nextSeq += entries.length;
    return throughSeq;
  }
}
