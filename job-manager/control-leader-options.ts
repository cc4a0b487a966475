import type { Clock } from '../core/clock/clock.js';
import type { LoggedCommands, NeverFitsAction, RecordSink } from '../core/control-state/index.js';
import type { StartBackoffPolicy } from '../core/control-state/start-failures.js';
import type { ControlLog } from '../core/durable/control-log.js';
import type { SnapshotStore } from '../core/durable/snapshot-store.js';
import type { Logger } from '../core/log/logger.js';
import type { UnplacedCode } from '../core/scheduler/types.js';
import type { DispatchLink } from '../core/transport/control-links.js';

// The leader's options, ports and the shapes it reports live apart from the class so the metrics
// wiring (leader-metrics.ts) can name them without importing the leader itself.

/** Options of the {@link ControlLeader}. */
export interface ControlLeaderOptions {
  /** This JobManager's id (recorded in each term start). */
  readonly id: string;
  readonly defaultStrategy: string;
  readonly agingPerSecond: number;
  /** Waiting jobs considered per round. @defaultValue 5000 */
  readonly maxJobsPerRound?: number;
  /** Intents applied per cycle at most (the rest wait for the next cycle). @defaultValue 5000 */
  readonly maxIntentsPerCycle?: number;
  /** Log entries between snapshots. @defaultValue 5000 */
  readonly snapshotEveryEntries?: number;
  /**
   * An append that has not settled by then counts as failed (the leader steps down; its
   * successor replays whatever landed). @defaultValue 30000
   */
  readonly appendTimeoutMs?: number;
  /** A records write that has not settled by then is retried with the next batch. @defaultValue 10000 */
  readonly recordsTimeoutMs?: number;
  /** How long a group avoids a worker after failed starts there. @defaultValue DEFAULT_START_BACKOFF */
  readonly startBackoff?: StartBackoffPolicy;
  /**
   * A job that can never fit the fleet fails only once no worker has joined for this long
   * (workers still joining may make it fit). @defaultValue 0
   */
  readonly neverFitsSettleMs?: number;
  /** `wait`: a job that can never fit waits with its reason instead of failing. @defaultValue "fail" */
  readonly neverFits?: NeverFitsAction;
}

/** What the leader is built from: role-named ports only. */
export interface ControlLeaderDeps {
  readonly log: ControlLog<LoggedCommands>;
  readonly snapshots: SnapshotStore;
  readonly dispatch: DispatchLink;
  readonly records: RecordSink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told about each scheduling round once it is planned (metrics; see leader-metrics.ts). */
  readonly onRound?: (round: RoundSample) => void;
}

/** One scheduling round as the metrics see it. */
export interface RoundSample {
  /** Planning and applying the plan, all passes. */
  readonly seconds: number;
  /** Tasks the round placed. */
  readonly placements: number;
  /** The code of each job the round left unplaced. */
  readonly unplaced: readonly UnplacedCode[];
}

/**
 * Lifecycle: `standby` (holds no state, refuses intents) → `recovering` (loading snapshot + log,
 * claiming its term) → `leading` → back to `standby` when it steps down (lease lost, log fenced or
 * unwritable) → `closed`.
 */
export type LeaderState = 'standby' | 'recovering' | 'leading' | 'closed';

/** Where a cycle's time went, cumulative (benchmarks print it). */
export interface LeaderStats {
  cycles: number;
  rounds: number;
  entries: number;
  applyMs: number;
  planMs: number;
  appendMs: number;
  /** Writing records and handing effects to the dispatch link. */
  finishMs: number;
  snapshots: number;
}
