import {
  planRound,
  roundPasses,
  type ControlState,
  type NeverFitsAction,
} from '../core/control-state/index.js';
import type { StartBackoffPolicy } from '../core/control-state/start-failures.js';
import type { UnplacedCode } from '../core/scheduler/types.js';
import type { CycleBatch } from './cycle-batch.js';

/** What a leader's scheduling round is planned with (from the leader's options). */
export interface ScheduleRoundOptions {
  readonly defaultStrategy: string;
  readonly agingPerSecond: number;
  readonly maxJobs: number;
  readonly startBackoff?: StartBackoffPolicy | undefined;
  /** See RoundOptions.neverFitsSettleMs. */
  readonly neverFitsSettleMs?: number | undefined;
  /** See RoundOptions.neverFits. */
  readonly neverFits?: NeverFitsAction | undefined;
}

/**
 * One scheduling round of a leader cycle: each pass of the round (services' replicas may get a
 * spread pass of their own, see {@link roundPasses}) is planned on the state as the previous
 * pass left it, and each plan is applied and logged through `batch`.
 * @param onUnplaced told the code of each job a pass left unplaced (metrics), if given
 * @returns whether any pass placed something, how many tasks were placed, and when a job whose
 *   "can never fit" was put off by the settle delay is to be judged (the earliest), if any
 */
export function scheduleRound(
  state: ControlState,
  at: number,
  round: number,
  options: ScheduleRoundOptions,
  batch: CycleBatch,
  onUnplaced: ((code: UnplacedCode) => void) | undefined,
): { readonly placed: boolean; readonly placements: number; readonly judgeAt: number | undefined } {
  let placed = false;
  let placements = 0;
  let judgeAt: number | undefined;
  const onJudgeLater = (t: number): void => {
    judgeAt = judgeAt === undefined ? t : Math.min(judgeAt, t);
  };
  for (const pass of roundPasses(state.strategy ?? options.defaultStrategy, state.services.size > 0)) {
    const place = planRound(state, at, {
      strategy: pass.strategy,
      agingPerSecond: options.agingPerSecond,
      maxJobs: options.maxJobs,
      round,
      ...(pass.only ? { only: pass.only } : {}),
      ...(options.startBackoff ? { startBackoff: options.startBackoff } : {}),
      ...(onUnplaced ? { onUnplaced } : {}),
      neverFitsSettleMs: options.neverFitsSettleMs ?? 0,
      neverFits: options.neverFits ?? 'fail',
      onJudgeLater,
    });
    if (place) {
      placements += place.placements.length;
      batch.apply(state, place, true);
      placed = true;
    }
  }
  return { placed, placements, judgeAt };
}
