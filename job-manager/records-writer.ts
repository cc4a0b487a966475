import {
  mergeRecordBatches,
  type ControlState,
  type Effects,
  type RecordBatch,
  type RecordSink,
} from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import { bounded } from './bounded.js';

/**
 * Writes a leader's record batches (history, workers, events, strategy) to the records sink. A
 * failed write is kept and retried with the next batch: the log already holds the truth, the
 * projection only catches up. Kept across leaderships, like the records themselves.
 */
export class RecordsWriter {
  /** Record batches whose write failed, retried with the next one. */
  private unwritten: RecordBatch[] = [];

  /**
   * @param timeoutMs a write that has not settled by then is retried with the next batch
   * @param onWritten told each batch once it is written (the leader stops answering its ended
   *   jobs from memory)
   */
  constructor(
    private readonly records: RecordSink,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly onWritten: (batch: RecordBatch) => void,
  ) {}

  /** Whether a failed write waits to be retried (a snapshot must wait for it). */
  get behind(): boolean {
    return this.unwritten.length > 0;
  }

  /** Writes `batch` with whatever earlier writes failed; never rejects. */
  async write(batch: RecordBatch): Promise<void> {
    const empty = (b: RecordBatch): boolean => b.ended.length + b.workers.length + b.events.length === 0;
    if (!empty(batch) || this.unwritten.length > 0) {
      const merged = mergeRecordBatches([...this.unwritten, batch]);
      try {
        // Bounded: a write that never settles (a store connection lost mid-command) must not hold
        // every later answer; a late success is harmless, since every record write is idempotent.
        await bounded(this.records.write(merged), this.timeoutMs, 'records write');
        this.onWritten(merged);
        this.unwritten = [];
      } catch (err) {
        this.unwritten = [merged];
        this.logger.error({ err }, 'writing records failed; retried with the next batch');
      }
    }
  }
}

/** What a cycle hands to the records: `everything` adds the strategy even when unchanged. */
export function recordBatchOf(fx: Effects, state: ControlState, everything = false): RecordBatch {
  return {
    ended: fx.endedJobs,
    workers: [...fx.changedWorkers].flatMap((id) => state.worker(id) ?? []),
    events: fx.events,
    strategy:
      everything || fx.events.some((e) => e.kind === 'strategy-changed')
        ? (state.strategy ?? undefined)
        : undefined,
  };
}
