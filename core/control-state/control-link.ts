import { AppError } from '../errors/index.js';
import type { ControlIntent, IntentPort } from './control-intent.js';
import type { ControlState } from './control-state.js';
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
export type ControlQuery = { readonly kind: 'consistency' } | { readonly kind: 'status' };

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
