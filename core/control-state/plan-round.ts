import { requestsOf } from '../control/cluster-snapshot.js';
import { spreadGroupOf } from '../job/spread-group.js';
import type { JobRecord } from '../model/records.js';
import { scheduleOnLive } from '../scheduler/index.js';
import type { UnplacedCode } from '../scheduler/types.js';
import type { PlaceCommand } from './control-command.js';
import type { ControlState } from './control-state.js';
import { DEFAULT_START_BACKOFF, type StartBackoffPolicy } from './start-failures.js';

/** What becomes of a job that can never fit the fleet as it is, once the settle delay is over. */
export type NeverFitsAction = 'fail' | 'wait';

/** Options of {@link planRound}. */
export interface RoundOptions {
  readonly strategy: string;
  readonly agingPerSecond: number;
  /** Waiting jobs considered per round, oldest first. */
  readonly maxJobs: number;
  /** Round number (the snapshot's version). */
  readonly round: number;
  /**
   * How long a worker is avoided by a group after failed starts there.
   * @defaultValue {@link DEFAULT_START_BACKOFF}
   */
  readonly startBackoff?: StartBackoffPolicy;
  /** Only these waiting jobs are planned (see {@link roundPasses}); absent: all. */
  readonly only?: (job: JobRecord) => boolean;
  /** Told the code of every job the plan leaves unplaced, each round (metrics; not logged). */
  readonly onUnplaced?: (code: UnplacedCode) => void;
  /**
   * How long after a worker last joined a job that can never fit still waits instead of failing:
   * workers that are still joining may make it fit. 0 judges at once. @defaultValue 0
   */
  readonly neverFitsSettleMs?: number;
  /**
   * After the settle delay, a job that can never fit the fleet as it is: `fail` it, or let it
   * `wait` with its reason until a worker that can hold it joins. @defaultValue "fail"
   */
  readonly neverFits?: NeverFitsAction;
  /**
   * Told, when some job's "can never fit" was put off by the settle delay, the time it will be
   * judged (the caller plans a round then; nothing else may ask for one).
   */
  readonly onJudgeLater?: (at: number) => void;
}

/** One planning pass of a round: a strategy and the waiting jobs it plans. */
export interface RoundPass {
  readonly strategy: string;
  readonly only?: (job: JobRecord) => boolean;
}

const spreadReplica = (j: JobRecord): boolean => j.spec.service?.placement === 'spread';

/**
 * The passes of one round. Replicas of a service with `placement: spread` are spread whatever
 * the cluster's strategy (one per worker while it can: a service survives a worker's loss), so
 * when services exist and the cluster strategy is another, they get a second pass with `spread`,
 * planned after the first pass's placements are applied (it sees their bookings).
 */
export function roundPasses(strategy: string, hasServices: boolean): readonly RoundPass[] {
  if (!hasServices || strategy === 'spread') return [{ strategy }];
  return [
    { strategy, only: (j) => !spreadReplica(j) },
    { strategy: 'spread', only: spreadReplica },
  ];
}

/**
 * One scheduling round on the leader's state: the pure scheduler plans the waiting jobs against
 * the workers (on the state's live index, which gives the plan `schedule` would give on
 * `state.clusterSnapshot(round)`), and the plan becomes a `place` command. Misses are kept
 * only when they change something (a new reason, or a job that can never fit), so a quiet
 * cluster with a long queue does not log the same reasons every round.
 * @returns undefined when there is nothing to place and nothing to record
 */
export function planRound(state: ControlState, at: number, options: RoundOptions): PlaceCommand | undefined {
  const all = state.waitingJobs(options.maxJobs);
  const waiting = options.only ? all.filter(options.only) : all;
  if (waiting.length === 0) return undefined;
  // On the index kept across rounds: the round costs what changed, not a rebuild for the fleet.
  // The groups' instances (for spread) and the workers they avoid after failed starts, as of `at`.
  const groups = groupsOf(waiting);
  const plan = scheduleOnLive(state.schedulerIndex(), requestsOf(waiting), options.strategy, {
    nowMs: at,
    agingPerSecond: options.agingPerSecond,
    snapshotVersion: options.round,
    groupInstances: state.groupInstances(groups),
    avoid: state.startFailures.avoidAt(groups, at, options.startBackoff ?? DEFAULT_START_BACKOFF),
  });
  if (options.onUnplaced) for (const u of plan.unplaced) options.onUnplaced(u.code);
  const byName = new Map(waiting.map((j) => [j.name, j]));
  const memory = new Map(waiting.flatMap((j) => j.tasks.map((t) => [`${j.name}/${t.name}`, t.memoryBytes])));
  // Until no worker has joined for the settle delay, a job that cannot fit the fleet as it is
  // waits (its reason says until when): a cluster still coming up must not fail it for good.
  const settleMs = options.neverFitsSettleMs ?? 0;
  const judgeAt = state.lastJoinAt() + settleMs;
  const settling = settleMs > 0 && at < judgeAt;
  const waits = options.neverFits === 'wait';
  const misses = plan.unplaced
    .map((u) =>
      u.neverFits && (settling || waits)
        ? {
            ...u,
            reason: waits
              ? `${u.reason}; waits for a worker that can hold it (scheduler.neverFits is "wait")`
              : `${u.reason}; judged final once no worker has joined for ${formatSeconds(settleMs)}`,
            neverFits: false,
          }
        : u,
    )
    .filter((u) => u.neverFits || byName.get(u.jobId)?.unplacedReason !== u.reason)
    .map((u) => ({ job: u.jobId, reason: u.reason, neverFits: u.neverFits, code: u.code }));
  if (settling && !waits && plan.unplaced.some((u) => u.neverFits)) options.onJudgeLater?.(judgeAt);
  if (plan.placements.length === 0 && misses.length === 0) return undefined;
  const planned = new Set([...plan.placements.map((p) => p.jobId), ...misses.map((m) => m.job)]);
  return {
    kind: 'place',
    at,
    attempts: Object.fromEntries([...planned].map((n) => [n, byName.get(n)?.attempt ?? 0])),
    placements: plan.placements.map((p) => ({
      job: p.jobId,
      task: p.taskId,
      workerId: p.workerId,
      coreIds: p.coreIds,
      memoryBytes: memory.get(`${p.jobId}/${p.taskId}`) ?? p.memoryBytes,
    })),
    misses,
  };
}

/** "30 s", "1.5 s": a settle delay as a reason names it. */
function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function groupsOf(jobs: readonly JobRecord[]): Set<string> {
  return new Set(jobs.map((j) => spreadGroupOf(j.spec)));
}
