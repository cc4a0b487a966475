import type { FailureCode } from '../job/failure-code.js';
import type { JobSpec } from '../job/job-model.js';
import type { JobState, TaskState } from '../job/job-state.js';

/**
 * Stored records of the control plane. Times are milliseconds since the Unix epoch (`null`
 * until they happen). Records are plain data: no methods, safe to serialise.
 */

/** One task of a job as stored: its demand, its placement and where it is in its lifecycle. */
export interface TaskRecord {
  readonly name: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly state: TaskState;
  /** Worker the current attempt was placed on. */
  readonly workerId: string | null;
  /** Exact cores booked for the current attempt (its cpuset). */
  readonly coreIds: readonly number[];
  readonly exitCode: number | null;
  /** Why the task failed, was lost or could not start; the engine's words where it gave some. */
  readonly reason: string | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /**
   * Migrations of the current attempt so far (absent = 0). Part of the container name, so the
   * source's and the target's containers never share a name on one engine.
   */
  readonly moves?: number;
  /** Set by a migration until the target reports the task running: where it came from, when. */
  readonly moving?: { readonly from: string; readonly at: number } | null;
  /**
   * The image the current attempt's container runs, by digest (`repo@sha256:…`, or the engine's
   * image id `sha256:…`), as its worker reported it with `running`; absent until then.
   */
  readonly imageDigest?: string;
}

/** A job as stored: the normalised spec plus lifecycle. One document per job. */
export interface JobRecord {
  readonly name: string;
  readonly spec: JobSpec;
  readonly state: JobState;
  /** Starts at 0; a re-queue (restart policy, worker loss) starts the next attempt. */
  readonly attempt: number;
  readonly priority: number;
  readonly submittedAt: number;
  readonly scheduledAt: number | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** Why the scheduler could not place the job yet (with counts); null once placed. */
  readonly unplacedReason: string | null;
  /** Why the job failed: which task and why. */
  readonly failureReason: string | null;
  /**
   * The stable code of `failureReason` (see FAILURE_CODES); absent in records written before it
   * existed, and null when there is no failure or its cause has no code.
   */
  readonly failureCode?: FailureCode | null;
  /** A client asked to cancel; workers stop its tasks and it ends `cancelled`. */
  readonly cancelRequested: boolean;
  readonly tasks: readonly TaskRecord[];
  /** Optimistic-concurrency version, incremented by every conditional write. */
  readonly version: number;
}

/** Resources a worker has set aside for one attempt of one task. */
export interface Booking {
  readonly job: string;
  readonly task: string;
  readonly attempt: number;
  readonly coreIds: readonly number[];
  readonly memoryBytes: number;
  /** When the booking was written; invalid bookings younger than a grace period are left alone. */
  readonly bookedAt: number;
}

/** Worker lifecycle: `ready` takes placements; `draining` keeps its tasks but takes no new ones. */
export type WorkerState = 'ready' | 'draining' | 'lost' | 'left';

/** How a worker runs tasks. */
export type RuntimeKind = 'docker' | 'simulated';

/**
 * A worker as stored. Free resources are never stored: they are capacity minus bookings, so they
 * cannot drift from what is booked (see {@link freeCoreIds}, {@link freeMemoryBytes}).
 */
export interface WorkerRecord {
  readonly id: string;
  readonly state: WorkerState;
  readonly runtime: RuntimeKind;
  /** Core ids this worker may hand out (its cpuset universe). */
  readonly coreIds: readonly number[];
  readonly totalMemoryBytes: number;
  readonly bookings: readonly Booking[];
  readonly joinedAt: number;
  readonly lastHeartbeatAt: number;
  /** Optimistic-concurrency version; heartbeats do not change it. */
  readonly version: number;
}

/** Cores of `w` not booked by any task, ascending. */
export function freeCoreIds(w: Pick<WorkerRecord, 'coreIds' | 'bookings'>): number[] {
  const used = new Set<number>();
  for (const b of w.bookings) for (const c of b.coreIds) used.add(c);
  return w.coreIds.filter((c) => !used.has(c)).sort((a, b) => a - b);
}

/** Memory of `w` not booked by any task. */
export function freeMemoryBytes(w: Pick<WorkerRecord, 'totalMemoryBytes' | 'bookings'>): number {
  return w.bookings.reduce((free, b) => free - b.memoryBytes, w.totalMemoryBytes);
}

/**
 * A running control-plane component (one per component per process), announced periodically so
 * `GET /api/v1/manager` can describe the whole control plane when its parts run as separate
 * processes. A record silent for a while is reported `unresponsive` (a crashed process leaves
 * its last announcement behind; retention deletes it later).
 */
export interface ComponentRecord {
  /** `<name>@<host>:<pid>`: unique per component per process. */
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly lastSeenAt: number;
}

/** A point on a worker's utilisation time series (one document per sample; bounded by retention). */
export interface UsageSample {
  readonly workerId: string;
  readonly at: number;
  readonly usedCores: number;
  readonly usedMemoryBytes: number;
  readonly tasks: number;
}

/** Kinds of recorded events. */
export type EventKind =
  | 'job-submitted'
  | 'job-scheduled'
  | 'job-running'
  | 'job-finished'
  | 'job-failed'
  | 'job-cancelled'
  | 'job-requeued'
  | 'job-unplaced'
  | 'task-state'
  | 'worker-joined'
  | 'worker-lost'
  | 'worker-state'
  | 'strategy-changed'
  | 'task-migrated'
  | 'task-updated'
  | 'worker-removed'
  | 'service-created'
  | 'service-updated'
  | 'service-deleted'
  | 'service-scaled'
  | 'service-autoscaled';

/** Something that happened, kept for operators and experiments. */
export interface ClusterEvent {
  /**
   * A stable id (24 hex digits, an ObjectId's form) the leader derives from the event's position
   * in the control log: an event written again — a retried write, or a new leader re-writing the
   * records of the log's tail — is stored once. Absent on events made elsewhere.
   */
  readonly id?: string;
  readonly at: number;
  readonly kind: EventKind;
  readonly job?: string;
  readonly task?: string;
  readonly worker?: string;
  readonly attempt?: number;
  readonly detail?: string;
}
