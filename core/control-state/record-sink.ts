import type { ClusterEvent, JobRecord, WorkerRecord } from '../model/records.js';
import type { Stores } from '../store/store-ports.js';

/** What one leader cycle hands to the system of record, after its commands are durable. */
export interface RecordBatch {
  /** Jobs that left live state, as they ended. */
  readonly ended: readonly JobRecord[];
  /** Workers whose record changed (latest version of each). */
  readonly workers: readonly WorkerRecord[];
  readonly events: readonly ClusterEvent[];
  /** The scheduling strategy, when it changed. */
  readonly strategy?: string | undefined;
  /** The last control-log seq whose records this batch completes (stored last, as a watermark). */
  readonly throughSeq?: number | undefined;
}

/**
 * The stable id of the `index`-th event produced by the log entry `seq` (applied at `at`), in an
 * ObjectId's form so MongoDB orders events by it: seconds of `at` (8 hex digits), then the seq
 * (10), then the index (6). The leader and a replaying successor derive the same ids.
 */
export function eventId(at: number, seq: number, index: number): string {
  const hex = (n: number, width: number): string => Math.floor(n).toString(16).padStart(width, '0');
  return hex(Math.max(0, at) / 1000, 8).slice(-8) + hex(seq, 10).slice(-10) + hex(index, 6).slice(-6);
}

/** `events` with their stable ids: the `i`-th gets {@link eventId}(at, seq, i). */
export function withEventIds(events: readonly ClusterEvent[], at: number, seq: number): ClusterEvent[] {
  return events.map((e, i) => ({ ...e, id: eventId(at, seq, i) }));
}

/** Merges batches in order: the later record of a job or worker wins, events are concatenated. */
export function mergeRecordBatches(batches: readonly RecordBatch[]): RecordBatch {
  const ended = new Map<string, JobRecord>();
  const workers = new Map<string, WorkerRecord>();
  let strategy: string | undefined;
  let throughSeq: number | undefined;
  for (const b of batches) {
    strategy = b.strategy ?? strategy;
    if (b.throughSeq !== undefined) throughSeq = Math.max(throughSeq ?? 0, b.throughSeq);
    for (const j of b.ended) ended.set(j.name, j);
    for (const w of b.workers) workers.set(w.id, w);
  }
  return {
    ended: [...ended.values()],
    workers: [...workers.values()],
    events: batches.flatMap((b) => b.events),
    strategy,
    throughSeq,
  };
}

/** Options of {@link StoreProjection}. */
export interface ProjectionOptions {
  /**
   * Least time from the end of one write of worker records to the start of the next (tools
   * reading the database see workers about this stale; the API asks the leader). @defaultValue 5000
   */
  readonly workersEveryMs?: number;
  readonly now?: () => number;
  /**
   * Least time between two writes of the records watermark: a successor re-writes (idempotently)
   * the records of at most about this much log, and a busy leader saves a round trip per batch.
   * @defaultValue 1000
   */
  readonly watermarkEveryMs?: number;
  /** Told when a background write of worker records fails (they are written again later). */
  readonly onWorkersError?: (err: unknown) => void;
}

/**
 * What the leader writes for users and tools, costing O(batch) on any MongoDB-wire server: ended
 * jobs go into history with unordered inserts (the one cheap write on FerretDB v1; a name already
 * there, re-used after retention, is overwritten), events are appended, the strategy is stored.
 * Worker records are upserted in the background, at most every `workersEveryMs`: nothing an
 * intent's answer promises depends on them (the API reads workers from the leader), and on
 * FerretDB v1 each upsert scans the collection, so 1,000 workers cost seconds — which must not
 * hold up a cycle. Live jobs are not written: the API reads them from the leader
 * ({@link leaderBackedStores}), and the control log keeps them.
 */
export class StoreProjection implements RecordSink {
  private pendingWorkers = new Map<string, WorkerRecord>();
  private lastWorkersAt = Number.NEGATIVE_INFINITY;
  /** The background write of worker records under way, if any (one at a time, in order). */
  private workerWrite: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastWatermarkAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly stores: Pick<Stores, 'jobs' | 'workers' | 'events' | 'settings'>,
    private readonly options: ProjectionOptions = {},
  ) {}

  async write(batch: RecordBatch): Promise<void> {
    if (batch.ended.length > 0) {
      const existing = new Set(await this.stores.jobs.insertMany(batch.ended));
      if (existing.size > 0)
        await this.stores.jobs.upsertMany(batch.ended.filter((j) => existing.has(j.name)));
    }
    for (const w of batch.workers) this.pendingWorkers.set(w.id, w);
    this.scheduleWorkers();
    if (batch.strategy !== undefined) await this.stores.settings.setStrategy(batch.strategy);
    if (batch.events.length > 0) await this.stores.events.append(batch.events);
    const now = (this.options.now ?? Date.now)();
    if (
      batch.throughSeq !== undefined &&
      now - this.lastWatermarkAt >= (this.options.watermarkEveryMs ?? 1000)
    ) {
      // Only after the records it covers; a watermark lower than the truth merely costs re-writes.
      await this.stores.settings.setRecordsThrough(batch.throughSeq);
      this.lastWatermarkAt = now;
    }
  }

  writtenThrough(): Promise<number> {
    return this.stores.settings.getRecordsThrough();
  }

  /**
   * Waits for the worker write under way, then writes what is pending at once (a leader that
   * steps down or closes leaves the latest worker records behind).
   */
  async flush(): Promise<void> {
    this.clearTimer();
    await this.workerWrite;
    if (this.pendingWorkers.size > 0) await this.writeWorkers();
  }

  /** Stops background writes (after {@link flush} if the pending ones matter). */
  close(): void {
    this.closed = true;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Starts a background write when one is due, or a timer for when it will be. */
  private scheduleWorkers(): void {
    if (this.closed || this.pendingWorkers.size === 0 || this.workerWrite || this.flushTimer) return;
    const every = this.options.workersEveryMs ?? 5000;
    const wait = every - ((this.options.now ?? Date.now)() - this.lastWorkersAt);
    if (wait <= 0) {
      this.workerWrite = this.writeWorkers()
        .catch((err: unknown) => this.options.onWorkersError?.(err))
        .finally(() => {
          this.workerWrite = undefined;
          this.scheduleWorkers();
        });
      return;
    }
    // A quiet cluster still gets its last worker changes written, once the interval is up.
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.scheduleWorkers();
    }, wait);
    this.flushTimer.unref();
  }

  /** Writes the latest record of every worker changed since the last write. */
  private async writeWorkers(): Promise<void> {
    const workers = [...this.pendingWorkers.values()];
    this.pendingWorkers = new Map();
    try {
      await this.stores.workers.upsertMany(workers);
    } catch (err) {
      // Written again with the next write, unless a newer record of the worker is pending.
      for (const w of workers) if (!this.pendingWorkers.has(w.id)) this.pendingWorkers.set(w.id, w);
      throw err;
    } finally {
      this.lastWorkersAt = (this.options.now ?? Date.now)();
    }
  }
}

/**
 * The system of record users and tools read (job history, events). Written by the leader only,
 * in batches, after the control log made the batch durable; a lost write is repaired from the
 * log, so the sink never decides anything. Adapters must cost O(batch), not O(collection).
 */
export interface RecordSink {
  write(batch: RecordBatch): Promise<void>;
  /**
   * The control-log seq through which records are written (0: unknown or never). A new leader
   * re-writes the history and events of the log entries after it; every write is idempotent
   * (history by name, events by their stable ids), so a low answer only costs time.
   */
  writtenThrough(): Promise<number>;
}

/** A sink that keeps every batch in memory (tests, benchmarks). */
export class RecordingSink implements RecordSink {
  readonly batches: RecordBatch[] = [];

  write(batch: RecordBatch): Promise<void> {
    this.batches.push(batch);
    return Promise.resolve();
  }

  writtenThrough(): Promise<number> {
    return Promise.resolve(Math.max(0, ...this.batches.map((b) => b.throughSeq ?? 0)));
  }

  /** Every ended job written so far, by name (the last record wins). */
  ended(): Map<string, JobRecord> {
    return new Map(this.batches.flatMap((b) => b.ended.map((j) => [j.name, j] as const)));
  }

  events(): ClusterEvent[] {
    return this.batches.flatMap((b) => b.events);
  }
}
