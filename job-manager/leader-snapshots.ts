import type { Clock } from '../core/clock/clock.js';
import type { ControlState, LoggedCommands } from '../core/control-state/index.js';
import type { ControlLog } from '../core/durable/control-log.js';
import type { SnapshotStore } from '../core/durable/snapshot-store.js';
import type { Logger } from '../core/log/logger.js';
import { snapshotItems } from './leader-recovery.js';

/** The ports a leader's snapshots use (a subset of the leader's). */
export interface LeaderSnapshotDeps {
  readonly log: ControlLog<LoggedCommands>;
  readonly snapshots: SnapshotStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * When and how a leader snapshots its state: every `everyEntries` logged commands, one snapshot
 * at a time, and after it is saved the older snapshots are pruned and the log truncated behind
 * it (so a successor's recovery replays at most about `everyEntries` commands).
 */
export class LeaderSnapshots {
  /** Commands logged (or replayed) since the last snapshot. */
  private since = 0;
  private saving: Promise<void> | undefined;

  /** @param onSaved told when a snapshot is saved (stats) */
  constructor(
    private readonly deps: LeaderSnapshotDeps,
    private readonly everyEntries: number,
    private readonly onSaved: () => void,
  ) {}

  /** The snapshot being taken, if one is. */
  get busy(): Promise<void> | undefined {
    return this.saving;
  }

  /** Whether enough commands were logged since the last snapshot. */
  get due(): boolean {
    return this.since >= this.everyEntries;
  }

  /** A new leadership: `replayed` commands were replayed after the snapshot it started from. */
  reset(replayed: number): void {
    this.since = replayed;
  }

  /** A cycle logged `commands` commands. */
  logged(commands: number): void {
    this.since += commands;
  }

  /**
   * Takes a snapshot of `state` (which must equal the durable log through `seq`) when one is due
   * and none is being taken.
   * @param recordsBehind whether a records write waits to be retried
   */
  maybeTake(state: ControlState, seq: number, term: number, recordsBehind: boolean): void {
    if (this.saving || !this.due) return;
    // Records not yet written would be lost with a log truncated behind them: wait for them.
    if (recordsBehind) return;
    const data = state.toSnapshot();
    this.since = 0;
    this.saving = (async () => {
      await this.deps.snapshots.save({
        seq,
        term,
        at: this.deps.clock.now(),
        items: snapshotItems(data),
      });
      this.onSaved();
      await this.deps.snapshots.prune();
      await this.deps.log.truncateThrough(seq);
    })()
      .catch((err: unknown) => this.deps.logger.error({ err, seq }, 'snapshot failed'))
      .finally(() => {
        this.saving = undefined;
      });
  }
}
