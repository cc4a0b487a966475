import type { PlacedRef } from '../control/booking-ledger.js';
import type { ErrorCode } from '../errors/error-catalogue.js';
import type { ClusterEvent, JobRecord } from '../model/records.js';
import type { TaskAssignment } from '../protocol/messages.js';

/** How the state machine answered one command: done, or refused with a stable code and why. */
export type CommandOutcome =
  | {
      readonly ok: true;
      /** For a `worker-joined`: the worker's full desired set, to send it as its `sync`. */
      readonly desired?: readonly TaskAssignment[];
    }
  | { readonly ok: false; readonly code: ErrorCode; readonly reason: string };

/** A job of a `place` command that was not committed, and why. */
export interface RejectedPlacement {
  readonly job: string;
  readonly reason: string;
}

/**
 * What applying one command asks the outside world to do. The state machine does no I/O: the
 * leader performs these after the command is durable (dispatch, stops, records, events).
 */
export interface Effects {
  outcome: CommandOutcome;
  /** Assignments to send to workers (through the GlobalManager). */
  readonly assign: (TaskAssignment & { readonly workerId: string })[];
  /** Tasks to stop on their workers. */
  readonly stop: PlacedRef[];
  readonly events: ClusterEvent[];
  /** Live jobs whose record changed: the system of record gets their new version. */
  readonly changedJobs: Set<string>;
  /** Jobs that left live state (ended, nothing of them left on a worker): history gets them. */
  readonly endedJobs: JobRecord[];
  /** Workers whose record changed. */
  readonly changedWorkers: Set<string>;
  /** Jobs committed by a `place` command. */
  readonly placed: string[];
  /** Jobs of a `place` command not committed (they stay waiting). */
  readonly rejected: RejectedPlacement[];
  /** Capacity was freed or a job is waiting: a scheduling round may place something now. */
  schedule: boolean;
}

/** Empty effects with an `ok` outcome. */
export function noEffects(): Effects {
  return {
    outcome: { ok: true },
    assign: [],
    stop: [],
    events: [],
    changedJobs: new Set(),
    endedJobs: [],
    changedWorkers: new Set(),
    placed: [],
    rejected: [],
    schedule: false,
  };
}

/** Effects of a refused command: nothing changed. */
export function refused(code: ErrorCode, reason: string): Effects {
  return { ...noEffects(), outcome: { ok: false, code, reason } };
}

/** Adds `more` into `into` (for a batch of commands applied together). */
export function mergeEffects(into: Effects, more: Effects): Effects {
  into.assign.push(...more.assign);
  into.stop.push(...more.stop);
  into.events.push(...more.events);
  for (const j of more.changedJobs) into.changedJobs.add(j);
  into.endedJobs.push(...more.endedJobs);
  for (const w of more.changedWorkers) into.changedWorkers.add(w);
  into.placed.push(...more.placed);
  into.rejected.push(...more.rejected);
  into.schedule ||= more.schedule;
  return into;
}
