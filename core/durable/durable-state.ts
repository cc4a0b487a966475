import type { ControlLog } from './control-log.js';
import type { SnapshotStore } from './snapshot-store.js';

/**
 * One durable store of the leader's control state: the log and the snapshots, with one
 * lifecycle. Adapters: memory (memory-durable-state.ts), a directory (file-durable-state.ts) and
 * MongoDB or FerretDB (mongo-durable-state.ts); test/support/control-log-contract.ts holds all
 * three to the same behaviour.
 */
export interface DurableState {
  /**
   * A new handle on the log. Handles share the storage and fence themselves independently, so
   * a test (or a process hosting a leader and a standby) can hold several.
   */
  log<T>(): ControlLog<T>;
  readonly snapshots: SnapshotStore;
  /** Round trips to the store so far, log and snapshots together (for benchmarks). */
  readonly roundTrips: number;
  /** Releases the store (file: the directory lock; MongoDB: the client it opened). */
  close(): Promise<void>;
}
