import type { ClusterEvent, JobRecord } from '../model/records.js';

/** What one leader cycle hands to the system of record, after its commands are durable. */
export interface RecordBatch {
  /** Live jobs whose record changed (latest version of each). */
  readonly jobs: readonly JobRecord[];
  /** Jobs that left live state, as they ended. */
  readonly ended: readonly JobRecord[];
  readonly events: readonly ClusterEvent[];
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
