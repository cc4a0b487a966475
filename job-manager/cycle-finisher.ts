import type { CommandOutcome, Effects, EventRing, RecordBatch } from '../core/control-state/index.js';
import { mergeRecordBatches } from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import type { DispatchLink } from '../core/transport/control-links.js';
import { bounded } from './bounded.js';
import type { LeaderStats } from './control-leader-options.js';
import type { RecordsWriter } from './records-writer.js';

/** A durable cycle (its entries are in the log) waiting for its records, dispatch and answers. */
export interface FinishItem {
  readonly fx: Effects;
  readonly records: RecordBatch;
  readonly settled: readonly {
    readonly p: { resolve(outcome: CommandOutcome): void };
    readonly outcome: CommandOutcome;
  }[];
}

/**
 * The second half of a leader's pipeline: durable cycles are finished here (records written,
 * events published, effects dispatched, intents answered) in cycle order, while the leader's next
 * cycle applies and appends meanwhile, so a store's write latency is paid once, not twice.
 */
export class CycleFinisher {
  /** Durable cycles waiting to be finished, oldest first. */
  private queue: FinishItem[] = [];
  /** Finishing queued cycles, chained in order, if it runs. */
  private running: Promise<void> | undefined;

  /**
   * @param events the leader's event ring: a finished cycle's events are published there
   * @param stats the leader's stats (`finishMs` is counted here)
   */
  constructor(
    private readonly records: RecordsWriter,
    private readonly events: EventRing,
    private readonly dispatch: DispatchLink,
    private readonly logger: Logger,
    private readonly stats: LeaderStats,
  ) {}

  /** The finishing under way, if any. */
  get busy(): Promise<void> | undefined {
    return this.running;
  }

  /**
   * Queues a durable cycle. If no finishing runs, one starts; `drained` is called once it has
   * emptied the queue (not when the cycle joined a finishing already under way).
   */
  push(item: FinishItem, drained: () => void): void {
    this.queue.push(item);
    if (this.running) return;
    this.running = this.finishAll().finally(() => {
      this.running = undefined;
      drained();
    });
  }

  /**
   * Performs a durable cycle's effects: the records first (so an answered intent is readable
   * through the API), then the dispatch.
   */
  async finish(fx: Effects, batch: RecordBatch): Promise<void> {
    await this.records.write(batch);
    this.events.push(batch.events);
    await this.dispatchEffects(fx);
  }

  /**
   * Finishes durable cycles in order until none is queued. Every cycle queued while the previous
   * records write ran is finished together: one records write for all of them (group commit: on
   * a store where a write costs a round trip, the number of writes must not follow the number of
   * small cycles), then each cycle's dispatch and answers, in cycle order.
   */
  private async finishAll(): Promise<void> {
    while (this.queue.length > 0) {
      const items = this.queue.splice(0);
      const t = performance.now();
      await this.records.write(mergeRecordBatches(items.map((i) => i.records)));
      // Durable in the log since the append: readers may see them, whatever the records write did.
      for (const i of items) this.events.push(i.records.events);
      for (const i of items) await this.dispatchEffects(i.fx);
      this.stats.finishMs += performance.now() - t;
      for (const i of items) for (const a of i.settled) a.p.resolve(a.outcome);
    }
  }

  private async dispatchEffects(fx: Effects): Promise<void> {
    if (fx.assign.length > 0 || fx.stop.length > 0) {
      await bounded(this.dispatch.dispatch({ assign: fx.assign, stop: fx.stop }), 5_000, 'dispatch').catch(
        (err: unknown) => this.logger.error({ err }, 'dispatch failed'),
      );
    }
  }
}
