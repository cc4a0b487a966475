import type { UnplacedCode } from '../scheduler/types.js';
import type { JobSpec } from '../job/job-model.js';
import type { RuntimeKind } from '../model/records.js';
import type { Report } from '../protocol/messages.js';
import type { ServiceSpec } from '../services/service-model.js';

/**
 * Commands of the control state machine: every change to jobs, bookings and workers is one of
 * these, applied in order by the leader (see {@link ControlState}). They are what the control log
 * stores, so they are plain JSON, carry their own time (`at`, taken by the leader when it accepted
 * the intent: replay never reads a clock) and a schema version.
 */

/** Version of the command shapes below; a log written by a newer version is refused on replay. */
export const COMMAND_VERSION = 1;

/** A client submitted a job (already validated and normalised). */
export interface SubmitCommand {
  readonly kind: 'submit';
  readonly at: number;
  readonly spec: JobSpec;
}

/** A client asked to cancel a job. */
export interface CancelCommand {
  readonly kind: 'cancel';
  readonly at: number;
  readonly job: string;
}

/** One task's place in a plan, with the exact cores and memory it books. */
export interface PlannedTask {
  readonly job: string;
  readonly task: string;
  readonly workerId: string;
  readonly coreIds: readonly number[];
  readonly memoryBytes: number;
}

/** A job the plan could not place, and why. */
export interface PlannedMiss {
  readonly job: string;
  readonly reason: string;
  /** The job can never fit this fleet (as a whole or task by task): it fails. */
  readonly neverFits: boolean;
  /** The scheduler's code for the miss (absent in commands logged before it was carried). */
  readonly code?: UnplacedCode;
}

/**
 * The outcome of one scheduling round. Each job's placements are committed whole or not at all,
 * re-checked against the state as it is when the command is applied (the plan was made on a
 * snapshot that may be a few commands old).
 */
export interface PlaceCommand {
  readonly kind: 'place';
  readonly at: number;
  /** Attempt of each planned job, so a plan for an older attempt changes nothing. */
  readonly attempts: Readonly<Record<string, number>>;
  readonly placements: readonly PlannedTask[];
  readonly misses: readonly PlannedMiss[];
}

/** Workers reported task states (as received; stale and duplicate reports are harmless). */
export interface ReportsCommand {
  readonly kind: 'reports';
  readonly at: number;
  readonly reports: readonly Report[];
}

/** A worker joined or came back with this capacity. */
export interface WorkerJoinedCommand {
  readonly kind: 'worker-joined';
  readonly at: number;
  readonly worker: {
    readonly id: string;
    readonly runtime: RuntimeKind;
    readonly coreIds: readonly number[];
    readonly totalMemoryBytes: number;
  };
}

/** A worker stayed silent past the heartbeat timeout. */
export interface WorkerLostCommand {
  readonly kind: 'worker-lost';
  readonly at: number;
  readonly worker: string;
}

/** An operator drained or undrained a worker. */
export interface WorkerStateCommand {
  readonly kind: 'worker-state';
  readonly at: number;
  readonly worker: string;
  readonly state: 'ready' | 'draining';
}

/** An operator removed a worker (its tasks are settled as after a loss). */
export interface WorkerRemovedCommand {
  readonly kind: 'worker-removed';
  readonly at: number;
  readonly worker: string;
}

/** A task moves to another worker, keeping its attempt (migration). */
export interface MoveTaskCommand {
  readonly kind: 'move-task';
  readonly at: number;
  readonly job: string;
  readonly task: string;
  readonly to: string;
  readonly coreIds: readonly number[];
}

/** A task's cores and memory change in place. */
export interface ResizeTaskCommand {
  readonly kind: 'resize-task';
  readonly at: number;
  readonly job: string;
  readonly task: string;
  readonly coreIds: readonly number[];
  readonly memoryBytes: number;
}

/** The scheduling strategy changed. */
export interface StrategyCommand {
  readonly kind: 'strategy';
  readonly at: number;
  readonly name: string;
}

/**
 * Retention: ended jobs that finished before `before` are forgotten, so their names may be used
 * again (their records are deleted from history by the same pruner).
 */
export interface ForgetEndedCommand {
  readonly kind: 'forget-ended';
  readonly at: number;
  readonly before: number;
}

/** A new leader took over with this fencing term (the log's first entry of each term). */
export interface TermStartCommand {
  readonly kind: 'term-start';
  readonly at: number;
  readonly term: number;
  readonly leader: string;
}

/** A service was created or its definition replaced (validated and normalised). */
export interface ServicePutCommand {
  readonly kind: 'service-put';
  readonly at: number;
  readonly spec: ServiceSpec;
}

/** A service was deleted; its replicas are cancelled. */
export interface ServiceDeleteCommand {
  readonly kind: 'service-delete';
  readonly at: number;
  readonly name: string;
}

/**
 * A service's desired replica count changes, clamped to its minimum and maximum: `exact` sets it
 * (an operator), `at-least` only raises it (the gateway on a cold request), `release` lowers it by
 * one by stopping that replica (the gateway, for an idle one), never below the minimum.
 */
export interface ServiceScaleCommand {
  readonly kind: 'service-scale';
  readonly at: number;
  readonly name: string;
  readonly mode: 'exact' | 'at-least' | 'release';
  /** The count for `exact` and `at-least`; ignored by `release`. */
  readonly replicas: number;
  /** The replica job to stop, for `release`. */
  readonly replica?: string;
}

/** One service's load as one gateway saw it: requests in flight, averaged over its report period. */
export interface ServiceLoadSample {
  readonly name: string;
  readonly inFlight: number;
}

/**
 * A gateway's load report (the autoscaler's input, logged so its decisions replay): every service
 * it has traffic or replicas for. It replaces everything earlier from the same `source`; a source
 * silent for a few of its periods no longer counts.
 */
export interface ServiceLoadCommand {
  readonly kind: 'service-load';
  readonly at: number;
  /** The reporting gateway's id. */
  readonly source: string;
  /** How often this source reports (its staleness is counted in these periods). */
  readonly periodMs: number;
  readonly samples: readonly ServiceLoadSample[];
  /**
   * The replicas this gateway found ready (passed a probe, not ejected), for every service it
   * routes; absent from gateways built before health-gated rollouts (they say nothing about
   * readiness). See {@link ServiceReadySample}.
   */
  readonly ready?: readonly ServiceReadySample[];
}

/** One service's replicas (job names) a gateway found ready: a rolling replace waits for these. */
export interface ServiceReadySample {
  readonly name: string;
  readonly replicas: readonly string[];
}

/**
 * One decision of the autoscaler's control law for one service, with its inputs (so a run can be
 * replayed and plotted). Applied only if the desired count is still `from` (else refused with
 * CONFLICT: the decision was made on an older state, the next period decides again).
 */
export interface ServiceAutoscaleCommand {
  readonly kind: 'service-autoscale';
  readonly at: number;
  readonly name: string;
  /** The desired count the decision was made on. */
  readonly from: number;
  /** The new desired count (within [minReplicas, maxReplicas]). */
  readonly desired: number;
  /** Requests in flight summed over the gateways' fresh reports. */
  readonly load: number;
  /** `ceil(load / target)` within [minReplicas, maxReplicas], before step limit and hysteresis. */
  readonly wanted: number;
  /** Consecutive periods wanting fewer replicas, after this decision. */
  readonly downStreak: number;
  /**
   * Why: `load` (the law), `preempted` (a higher-priority service needs the capacity: not a
   * period decision, hysteresis does not apply), `held` (a higher-priority service is waiting for
   * capacity, so no scale-up), `capped` (the global cap on replicas limited a scale-up).
   */
  readonly reason: 'load' | 'preempted' | 'held' | 'capped';
  /** For `preempted`: the service that takes the capacity. */
  readonly for?: string;
}

/** Every command the state machine applies. */
export type ControlCommand =
  | SubmitCommand
  | CancelCommand
  | PlaceCommand
  | ReportsCommand
  | WorkerJoinedCommand
  | WorkerLostCommand
  | WorkerStateCommand
  | WorkerRemovedCommand
  | MoveTaskCommand
  | ResizeTaskCommand
  | StrategyCommand
  | ForgetEndedCommand
  | TermStartCommand
  | ServicePutCommand
  | ServiceDeleteCommand
  | ServiceScaleCommand
  | ServiceLoadCommand
  | ServiceAutoscaleCommand;

/** The command kinds, for exhaustive tables. */
export type CommandKind = ControlCommand['kind'];

/**
 * The payload of one control-log entry: the commands of one leader cycle, in the order they were
 * applied. One entry per cycle (not per command) because every entry is a document, and on
 * FerretDB v1 an insert costs per document; a lone command (logs written before batching) is
 * still read.
 */
export type LoggedCommands = ControlCommand | readonly ControlCommand[];

/** The commands of a log entry's payload, in order. */
export function commandsOf(payload: LoggedCommands): readonly ControlCommand[] {
  return Array.isArray(payload) ? (payload as readonly ControlCommand[]) : [payload as ControlCommand];
}
