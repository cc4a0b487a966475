import type { ServiceRecord } from '../services/service-model.js';
import { AppError } from '../errors/index.js';
import type { JobState } from '../job/job-state.js';
import type { EventKind, JobRecord, WorkerRecord } from '../model/records.js';
import { compareJobOrder, isAfterCursor, type JobCursor } from '../store/job-order.js';
import type { ControlIntent, IntentPort } from './control-intent.js';
import type { ControlState } from './control-state.js';
import type { EventPage } from './event-ring.js';
import type { CommandOutcome } from './state-effects.js';

/**
 * Refusal by a JobManager that is not leading: nothing was applied, so a link may safely try
 * another JobManager. Maps to 503 like every "try again shortly".
 */
export class NotLeaderError extends AppError {
  readonly notLeader = true;
  constructor(why: string) {
    super('STORE_UNAVAILABLE', `no leader can accept this now (${why}); retry shortly`);
  }
}

/** True when `err` says "not the leader, nothing applied" (also across a wire, by flag). */
export function isNotLeader(err: unknown): boolean {
  return (err as { notLeader?: unknown } | null)?.notLeader === true;
}

/** What a component may ask the leader without changing anything. */
export type ControlQuery =
  | { readonly kind: 'consistency' }
  | { readonly kind: 'status' }
  /** A live job, or one that ended recently (the leader keeps the last ones it ended). */
  | { readonly kind: 'job'; readonly name: string }
  /**
   * Live jobs (and ended ones not yet in history) in listing order, optionally of some states,
   * strictly after a cursor position, at most `limit`.
   */
  | {
      readonly kind: 'jobs';
      readonly states?: readonly JobState[];
      readonly limit: number;
      readonly after?: JobCursor;
    }
  /** Live jobs with a placed, non-terminal task on the worker. */
  | { readonly kind: 'active-on-worker'; readonly workerId: string }
  | { readonly kind: 'workers' }
  /** Jobs by state, live and remembered ended ones. */
  | { readonly kind: 'counts' }
  /** Services with their live replica jobs; one when `name` is given (none when unknown). */
  | { readonly kind: 'services'; readonly name?: string }
  /**
   * Recent events from the leader's ring (not the database): after the id `after` (the first
   * `limit`), else the latest `limit`; only of `job` and of `eventKind` when given.
   */
  | {
      readonly kind: 'events';
      readonly after?: string;
      readonly job?: string;
      readonly eventKind?: EventKind;
      readonly limit: number;
    };

/** Most events one `events` query answers. */
export const MAX_EVENTS_PAGE = 1000;

/** A service and its live replica jobs, as the leader holds them. */
export interface ServiceState {
  readonly record: ServiceRecord;
  readonly replicas: JobRecord[];
}

/** The leader's answer to `status`. */
export interface LeaderStatus {
  readonly leader: string | null;
  readonly term: number;
  readonly liveJobs: number;
  readonly workers: number;
}

/** Answers by query kind. */
export interface QueryResults {
  /** Every way bookings and live tasks disagree, on the leader's one consistent state. */
  readonly consistency: string[];
  readonly status: LeaderStatus;
  readonly job: JobRecord | null;
  readonly jobs: JobRecord[];
  readonly 'active-on-worker': JobRecord[];
  readonly workers: WorkerRecord[];
  readonly counts: Record<JobState, number>;
  readonly services: ServiceState[];
  readonly events: EventPage;
}

/**
 * FrontEnd, Discovery and GlobalManager → the leading JobManager: intents (which change state,
 * answered once durable) and queries (answered from the leader's state as it is). In one process
 * it is a direct call ({@link LocalControlLink}); across processes a ZeroMQ request/reply that
 * finds the leader among the JobManagers. Both reject with AppError `STORE_UNAVAILABLE` (503)
 * when no leader answers.
 */
export interface ControlLink extends IntentPort {
  query<K extends ControlQuery['kind']>(query: Extract<ControlQuery, { kind: K }>): Promise<QueryResults[K]>;
  close(): Promise<void>;
}

/** What a leader offers a link: the intent port and its current state (undefined unless leading). */
export interface LeaderHandle extends IntentPort {
  view(): ControlState | undefined;
  /** A job this leader ended lately (kept so reads do not have to scan history for it). */
  endedRecently(name: string): JobRecord | undefined;
  /** Ended jobs whose history record is not written yet (lists must still show them). */
  endedUnwritten(): Iterable<JobRecord>;
  /** A page of the recent events this leader holds (see `EventRing.page`). */
  recentEvents(q: {
    readonly after?: string | undefined;
    readonly job?: string | undefined;
    readonly kind?: EventKind | undefined;
    readonly limit: number;
  }): EventPage;
}

/** Answers a query on the leader's state. @throws AppError STORE_UNAVAILABLE when not leading */
export function answerQuery(leader: LeaderHandle, query: ControlQuery): QueryResults[ControlQuery['kind']] {
  const state = leader.view();
  if (!state) throw new NotLeaderError('this JobManager is not leading');
  switch (query.kind) {
    case 'consistency':
      return state.consistencyProblems();
    case 'status': {
      let liveJobs = 0;
      for (const _ of state.jobs()) liveJobs++;
      return { leader: state.leader, term: state.term, liveJobs, workers: state.workers().length };
    }
    case 'job':
      return state.job(query.name) ?? leader.endedRecently(query.name) ?? null;
    case 'jobs': {
      const wanted = query.states ? new Set(query.states) : undefined;
      const after = query.after;
      const out: JobRecord[] = [];
      const take = (j: JobRecord): void => {
        if ((!wanted || wanted.has(j.state)) && (!after || isAfterCursor(j, after))) out.push(j);
      };
      for (const j of state.jobs()) take(j);
      for (const j of leader.endedUnwritten()) if (!state.job(j.name)) take(j);
      out.sort(compareJobOrder);
      return out.length > query.limit ? out.slice(0, query.limit) : out;
    }
    case 'active-on-worker':
      return state
        .jobsOnWorker(query.workerId)
        .flatMap((n) => state.job(n) ?? [])
        .sort(compareJobOrder);
    case 'workers':
      return state.workers();
    case 'counts':
      return state.countAll();
    case 'services': {
      const records =
        query.name === undefined
          ? state.services.list()
          : [state.services.get(query.name)].flatMap((r) => r ?? []);
      return records.map((record) => ({
        record,
        replicas: state.services.liveReplicas(record.spec.name).flatMap((n) => state.job(n) ?? []),
      }));
    }
    case 'events':
      return leader.recentEvents({
        after: query.after,
        job: query.job,
        kind: query.eventKind,
        limit: Math.min(Math.max(0, query.limit), MAX_EVENTS_PAGE),
      });
  }
}

/** {@link ControlLink} to a leader in this process. */
export class LocalControlLink implements ControlLink {
  constructor(private readonly leader: LeaderHandle) {}

  propose(intent: ControlIntent): Promise<CommandOutcome> {
    return this.leader.propose(intent);
  }

  query<K extends ControlQuery['kind']>(query: Extract<ControlQuery, { kind: K }>): Promise<QueryResults[K]> {
    try {
      return Promise.resolve(answerQuery(this.leader, query) as QueryResults[K]);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
