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
}

/** Merges batches in order: the later record of a job or worker wins, events are concatenated. */
export function mergeRecordBatches(batches: readonly RecordBatch[]): RecordBatch {
  const ended = new Map<string, JobRecord>();
  const workers = new Map<string, WorkerRecord>();
  let strategy: string | undefined;
  for (const b of batches) {
    strategy = b.strategy ?? strategy;
    for (const j of b.ended) ended.set(j.name, j);
    for (const w of b.workers) workers.set(w.id, w);
  }
  return {
    ended: [...ended.values()],
    workers: [...workers.values()],
    events: batches.flatMap((b) => b.events),
    strategy,
  };
}

/** Options of {@link StoreProjection}. */
export interface ProjectionOptions {
  /**
   * Least time between two writes of worker records (tools reading the database see workers at
   * most this stale; the API asks the leader). @defaultValue 5000
   */
  readonly workersEveryMs?: number;
  readonly now?: () => number;
}

/**
 * What the leader writes for users and tools, costing O(batch) on any MongoDB-wire server: ended
 * jobs go into history with unordered inserts (the one cheap write on FerretDB v1; a name already
 * there, re-used after retention, is overwritten), events are appended, the strategy is stored,
 * and worker records are upserted at most every `workersEveryMs`. Live jobs are not written: the
 * API reads them from the leader ({@link leaderBackedStores}), and the control log keeps them.
 */
export class StoreProjection implements RecordSink {
  private pendingWorkers = new Map<string, WorkerRecord>();
  private lastWorkersAt = Number.NEGATIVE_INFINITY;
  /** Worker writes, one after another, so an older record never lands after a newer one. */
  private workerWrites: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;

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
    const every = this.options.workersEveryMs ?? 5000;
    const now = (this.options.now ?? Date.now)();
    if (this.pendingWorkers.size > 0 && now - this.lastWorkersAt >= every) await this.flushWorkers();
    else if (this.pendingWorkers.size > 0 && !this.flushTimer) {
      // A quiet cluster still gets its last worker changes written, once the interval is up.
      this.flushTimer = setTimeout(
        () => {
          this.flushTimer = undefined;
          void this.flushWorkers().catch(() => undefined);
        },
        Math.max(0, every - (now - this.lastWorkersAt)),
      );
      this.flushTimer.unref();
    }
    if (batch.strategy !== undefined) await this.stores.settings.setStrategy(batch.strategy);
    if (batch.events.length > 0) await this.stores.events.append(batch.events);
  }

  /** Writes the latest record of every worker changed since the last write. */
  private flushWorkers(): Promise<void> {
    const workers = [...this.pendingWorkers.values()];
    this.pendingWorkers = new Map();
    this.lastWorkersAt = (this.options.now ?? Date.now)();
    if (workers.length === 0) return this.workerWrites;
    const next = this.workerWrites.then(() => this.stores.workers.upsertMany(workers));
    this.workerWrites = next.catch(() => undefined);
    return next;
  }
}

/**
 * The system of record users and tools read (job history, events). Written by the leader only,
 * in batches, after the control log made the batch durable; a lost write is repaired from the
 * log, so the sink never decides anything. Adapters must cost O(batch), not O(collection).
 */
export interface RecordSink {
  write(batch: RecordBatch): Promise<void>;
}

/** A sink that keeps every batch in memory (tests, benchmarks). */
export class RecordingSink implements RecordSink {
  readonly batches: RecordBatch[] = [];

  write(batch: RecordBatch): Promise<void> {
    this.batches.push(batch);
    return Promise.resolve();
  }

  /** Every ended job written so far, by name (the last record wins). */
  ended(): Map<string, JobRecord> {
    return new Map(this.batches.flatMap((b) => b.ended.map((j) => [j.name, j] as const)));
  }

  events(): ClusterEvent[] {
    return this.batches.flatMap((b) => b.events);
  }
}
