import type { JobState } from '../job/job-state.js';
import type {
  ClusterEvent,
  ComponentRecord,
  EventKind,
  JobRecord,
  RuntimeKind,
  UsageSample,
  WorkerRecord,
} from '../model/records.js';

/**
 * Storage ports. Each has a MongoDB adapter (`mongo-stores.ts`) and an in-memory adapter
 * (`memory-stores.ts`); one contract suite (`test/component/store-contract.test.ts`) runs against
 * both. Conditional writes take the version the caller read and fail (return false) when the
 * stored version differs: that is how concurrent JobManagers avoid double booking without
 * multi-document transactions. The `upsertMany` writes are the exception: unconditional, for a
 * single writer (the leader's projection) that owns the records it writes.
 */

/** A page of results and the cursor for the next one (null at the end). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** Jobs: one document per job, indexed by name, state, submit time and task placement. */
export interface JobStore {
  /** Stores a new job. @returns false when a job with that name exists (nothing written). */
  insert(job: JobRecord): Promise<boolean>;
  get(name: string): Promise<JobRecord | undefined>;
  /** Several jobs by name, in no particular order; unknown names are skipped. */
  getMany(names: readonly string[]): Promise<JobRecord[]>;
  /** Jobs ordered by (submittedAt, name), optionally of one state; `cursor` from the previous page. */
  list(filter: { readonly state?: JobState }, limit: number, cursor?: string): Promise<Page<JobRecord>>;
  /** Every job in `states`, ordered by (submittedAt, name), at most `limit`. */
  listByStates(states: readonly JobState[], limit: number): Promise<JobRecord[]>;
  /** Jobs with a task of a non-terminal state placed on `workerId`. */
  listActiveOnWorker(workerId: string): Promise<JobRecord[]>;
  /**
   * Replaces the job if its stored version is `expectedVersion`; the stored copy gets
   * `expectedVersion + 1`. @returns false on a version conflict or when the job is gone.
   */
  replace(job: JobRecord, expectedVersion: number): Promise<boolean>;
  countByState(): Promise<Readonly<Record<JobState, number>>>;
  /**
   * Stores every job exactly as given, inserting or overwriting by name, unconditionally: the
   * stored `version` is the record's own, whatever was stored before. A name given twice: the
   * later record wins. An empty array writes nothing.
   *
   * Written only by the leading JobManager's projection (the single writer that holds live jobs
   * in memory and mirrors each durable batch into this store for the REST API to read). Never
   * combine it with {@link JobStore.replace} from another process on the same jobs: an upsert
   * ignores versions, so it silently undoes a conditional write that landed in between.
   */
  upsertMany(jobs: readonly JobRecord[]): Promise<void>;
  /**
   * Inserts jobs whose names are new, with one unordered insert per 1,000 (inserts are the one
   * cheap write on FerretDB v1). A name already stored is left as it is.
   * @returns the names that already existed (nothing was written for them)
   */
  insertMany(jobs: readonly JobRecord[]): Promise<string[]>;
  /**
   * Deletes ended jobs that finished before `beforeMs` and have no task still live on a worker
   * (a failed job's survivor keeps the record until it ends). Such a job can no longer change,
   * so the delete is safe without a lock and from several processes at once.
   * @returns how many were deleted.
   */
  deleteEndedBefore(beforeMs: number): Promise<number>;
}

/** What a worker reports when it joins. */
export interface WorkerJoin {
  readonly id: string;
  readonly runtime: RuntimeKind;
  readonly coreIds: readonly number[];
  readonly totalMemoryBytes: number;
  readonly now: number;
}

/** Workers: one document per worker; bookings live on the worker so one write books atomically. */
export interface WorkerStore {
  /**
   * Registers a worker or re-registers a returning one: capacity and runtime are updated, state
   * becomes `ready` unless it was `draining`, bookings are kept, version is incremented.
   */
  join(join: WorkerJoin): Promise<WorkerRecord>;
  get(id: string): Promise<WorkerRecord | undefined>;
  list(): Promise<WorkerRecord[]>;
  /** Records a heartbeat (does not change the version). @returns false for an unknown worker. */
  heartbeat(id: string, at: number): Promise<boolean>;
  /** Conditional replace, as {@link JobStore.replace}. */
  replace(worker: WorkerRecord, expectedVersion: number): Promise<boolean>;
  /**
   * Stores every worker exactly as given, inserting or overwriting by id, unconditionally:
   * state, bookings, `lastHeartbeatAt` (even an earlier one) and `version` are the record's own.
   * An id given twice: the later record wins. An empty array writes nothing.
   *
   * Same single writer and same caveat as {@link JobStore.upsertMany}: never combine it with
   * `join`, `heartbeat` or {@link WorkerStore.replace} from another process on the same workers.
   */
  upsertMany(workers: readonly WorkerRecord[]): Promise<void>;
  remove(id: string): Promise<boolean>;
}

/** Cluster-wide settings that must survive restarts (e.g. the strategy). */
export interface SettingsStore {
  getStrategy(): Promise<string | undefined>;
  setStrategy(name: string): Promise<void>;
  /**
   * The control-log seq through which the leader's records (history, events) are written; 0 when
   * never set. A new leader re-writes the records of the log entries after it.
   */
  getRecordsThrough(): Promise<number>;
  setRecordsThrough(seq: number): Promise<void>;
}

/** Append-only event log. */
export interface EventStore {
  /**
   * Appends the events. An event object appended before is not stored again, so a write retried
   * after its answer was lost (the first attempt may have landed) stores each event once.
   */
  append(events: readonly ClusterEvent[]): Promise<void>;
  list(filter: { readonly job?: string; readonly kind?: EventKind }, limit: number): Promise<ClusterEvent[]>;
  /**
   * The first `limit` matching events whose stable id is greater than `afterId`, by id, with their
   * ids: what an event stream resumes from when the leader's ring no longer holds that id (the
   * leader gives every event it records a stable id). An `afterId` not in that form gives none;
   * where events stored without one fall is the adapter's own (MongoDB: their write time).
   */
  listAfter(
    afterId: string,
    filter: { readonly job?: string; readonly kind?: EventKind },
    limit: number,
  ): Promise<ClusterEvent[]>;
  deleteBefore(beforeMs: number): Promise<number>;
}

/** Utilisation time series: appended samples, never a rewritten array. */
export interface UsageStore {
  append(samples: readonly UsageSample[]): Promise<void>;
  /** Samples of `workerId` with `fromMs <= at < toMs`, oldest first, at most `limit` of them. */
  range(workerId: string, fromMs: number, toMs: number, limit?: number): Promise<UsageSample[]>;
  deleteBefore(beforeMs: number): Promise<number>;
}

/** Announcements of running control-plane components (see {@link ComponentRecord}). */
export interface ComponentStore {
  /** Stores or overwrites the record with this id. */
  announce(component: ComponentRecord): Promise<void>;
  /** Every record, ordered by (name, id). */
  list(): Promise<ComponentRecord[]>;
  /** @returns false when no record had this id. */
  remove(id: string): Promise<boolean>;
  /** Deletes records last seen before `beforeMs`. @returns how many were deleted. */
  deleteSilentBefore(beforeMs: number): Promise<number>;
}

/** All stores of one backend, with one lifecycle. */
export interface Stores {
  readonly jobs: JobStore;
  readonly workers: WorkerStore;
  readonly settings: SettingsStore;
  readonly events: EventStore;
  readonly usage: UsageStore;
  readonly components: ComponentStore;
  /** Answers "ok" or a reason; used by /healthz. */
  ping(): Promise<string>;
  close(): Promise<void>;
}
