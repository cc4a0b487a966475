import type { Report } from '../core/protocol/index.js';

/** A task state a worker reports (`REPORTED_STATES` in the protocol). */
export type ReportedState = Report['state'];

/**
 * Order of reported states: a state may only be followed by one of higher rank. The three ends
 * share the top rank, so the first end wins and a later one is ignored.
 */
const RANK: Readonly<Record<ReportedState, number>> = {
  starting: 0,
  running: 1,
  finished: 2,
  failed: 2,
  cancelled: 2,
};

/** True when `next` is a forward move from `current` (anything is forward from nothing). */
export function isForward(current: ReportedState | undefined, next: ReportedState): boolean {
  return current === undefined || RANK[next] > RANK[current];
}

/** True for finished, failed and cancelled. */
export function isEnded(state: ReportedState): boolean {
  return RANK[state] === 2;
}
