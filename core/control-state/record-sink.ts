import type { ClusterEvent, JobRecord, WorkerRecord } from '../model/records.js';
import type { Stores } from '../store/store-ports.js';

/** What one leader cycle hands to the system of record, after its commands are durable. */
export interface RecordBatch {
  /** Live jobs whose record changed (latest version of each). */
  readonly jobs: readonly JobRecord[];
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
  const jobs = new Map<string, JobRecord>();
  const ended = new Map<string, JobRecord>();
  const workers = new Map<string, WorkerRecord>();
  let strategy: string | undefined;
  for (const b of batches) {
    strategy = b.strategy ?? strategy;
    for (const j of b.jobs) {
      ended.delete(j.name);
      jobs.set(j.name, j);
    }
    for (const j of b.ended) {
      jobs.delete(j.name);
      ended.set(j.name, j);
    }
    for (const w of b.workers) workers.set(w.id, w);
  }
  return {
    jobs: [...jobs.values()],
    ended: [...ended.values()],
    workers: [...workers.values()],
    events: batches.flatMap((b) => b.events),
    strategy,
  };
}

/**
 * The projection the REST API and tools read: live and ended job records and worker records
 * upserted in batches, events appended. The leader is its only writer.
 */
export class StoreProjection implements RecordSink {
  constructor(private readonly stores: Pick<Stores, 'jobs' | 'workers' | 'events' | 'settings'>) {}

  async write(batch: RecordBatch): Promise<void> {
    await Promise.all([
      this.stores.jobs.upsertMany([...batch.jobs, ...batch.ended]),
      this.stores.workers.upsertMany(batch.workers),
    ]);
    if (batch.strategy !== undefined) await this.stores.settings.setStrategy(batch.strategy);
    if (batch.events.length > 0) await this.stores.events.append(batch.events);
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
