import {
  ControlState,
  commandsOf,
  noEffects,
  withEventIds,
  type Effects,
  type ControlSnapshotData,
  type LoggedCommands,
} from '../core/control-state/index.js';
import type { ControlLog, LogRecord } from '../core/durable/control-log.js';
import type { SnapshotStore } from '../core/durable/snapshot-store.js';
import { assignmentOf } from '../core/control/task-assignment.js';
import type { ClusterEvent, JobRecord, WorkerRecord } from '../core/model/records.js';

/**
 * One snapshot item. The state is split into one item per job and per worker (plus a header) so
 * the snapshot store can chunk a large state into documents well under MongoDB's size limit.
 */
type SnapshotItem =
  | { readonly t: 'meta'; readonly data: Omit<ControlSnapshotData, 'jobs' | 'workers'> }
  | { readonly t: 'w'; readonly w: WorkerRecord }
  | { readonly t: 'j'; readonly j: JobRecord };

/** The snapshot store's items for a state. */
export function snapshotItems(data: ControlSnapshotData): SnapshotItem[] {
  const { jobs, workers, ...meta } = data;
  return [
    { t: 'meta', data: meta },
    ...workers.map((w) => ({ t: 'w' as const, w })),
    ...jobs.map((j) => ({ t: 'j' as const, j })),
  ];
}

/** The state a snapshot's items describe. @throws Error when the header is missing */
export function stateOfItems(items: readonly unknown[]): ControlState {
  const list = items as readonly SnapshotItem[];
  const head = list[0];
  if (head?.t !== 'meta') throw new Error('control snapshot has no header item');
  const workers: WorkerRecord[] = [];
  const jobs: JobRecord[] = [];
  for (const it of list) {
    if (it.t === 'w') workers.push(it.w);
    else if (it.t === 'j') jobs.push(it.j);
  }
  return ControlState.fromSnapshot({ ...head.data, workers, jobs });
}

/** What a takeover rebuilt. */
export interface Recovered {
  readonly state: ControlState;
  /** Where this leader's first entry goes. */
  readonly nextSeq: number;
  /** Log records applied on top of the snapshot. */
  readonly replayed: number;
  readonly ms: number;
  /** The term claimed (at least the requested one). */
  readonly term: number;
  /**
   * Jobs that ended in the log entries after `recordsThrough`. The previous leader may have died
   * before writing their history records, so the new one writes them again (a record already there
   * is simply overwritten with the same content).
   */
  readonly ended: readonly JobRecord[];
  /** The events of those entries, with their stable ids (one already stored is not stored again). */
  readonly events: readonly ClusterEvent[];
}

/** What applying one log record produced. */
interface Applied {
  readonly ended: readonly JobRecord[];
  /** Its events with their stable ids (numbered as the leader that wrote it numbered them). */
  readonly events: readonly ClusterEvent[];
}

/** Applies one log record (a cycle's commands, in order). */
function applyRecord(state: ControlState, r: LogRecord<LoggedCommands>): Applied {
  if (r.kind !== 'entry') {
    state.apply({ kind: 'term-start', at: r.at, term: r.term, leader: r.leader });
    return { ended: [], events: [] };
  }
  const ended: JobRecord[] = [];
  const events: ClusterEvent[] = [];
  for (const c of commandsOf(r.payload)) {
    const fx = state.apply(c);
    ended.push(...fx.endedJobs);
    events.push(...fx.events);
  }
  return { ended, events: withEventIds(events, r.at, r.seq) };
}

/**
 * Rebuilds the control state for a new leader: the latest complete snapshot, then every log
 * record after it in order, then the term claim, which fences the previous leader (records it
 * managed to write before the claim landed are applied too: they are durable).
 */
export async function recoverState(
  log: ControlLog<LoggedCommands>,
  snapshots: SnapshotStore,
  claim: { readonly term: number; readonly leader: string; readonly at: number },
  recordsThrough = 0,
): Promise<Recovered> {
  const t0 = performance.now();
  const snap = await snapshots.latest();
  const state = snap ? stateOfItems(snap.items) : new ControlState();
  let last = snap?.seq ?? 0;
  let replayed = 0;
  const ended: JobRecord[] = [];
  const events: ClusterEvent[] = [];
  const collect = (r: LogRecord<LoggedCommands>, applied: Applied): void => {
    if (r.seq <= recordsThrough) return;
    ended.push(...applied.ended);
    events.push(...applied.events);
  };
  for await (const r of log.readAfter(last)) {
    if (r.seq !== last + 1) throw new Error(`control log has a gap: seq ${r.seq} follows ${last}`);
    collect(r, applyRecord(state, r));
    last = r.seq;
    replayed++;
  }
  // The log is the fencing authority: a lease token lower than a logged term (Redis lost its
  // counter, or no lease at all) becomes the next term after the highest one logged.
  const term = Math.max(claim.term, Math.max(state.term, log.highestTerm) + 1);
  const claimed = await log.claimTerm({
    term,
    nextSeq: last + 1,
    leader: claim.leader,
    at: claim.at,
  });
  for (const r of claimed.missed) {
    collect(r, applyRecord(state, r));
    replayed++;
  }
  state.apply({ kind: 'term-start', at: claim.at, term: claimed.term, leader: claim.leader });
  return {
    state,
    nextSeq: claimed.seq + 1,
    replayed,
    ms: performance.now() - t0,
    term: claimed.term,
    ended,
    events,
  };
}

/**
 * What a new leader performs once it has recovered: it re-sends what may have been lost with the
 * previous leader (every placed task not yet confirmed running; workers ignore duplicates), and
 * writes again the records of the replayed entries, since the previous leader may have died
 * between its last append and its records (history of jobs ended there, all workers, the strategy).
 */
export function recoveryEffects(r: Recovered): Effects {
  const assign = [...r.state.jobs()].flatMap((j) =>
    j.tasks.filter((t) => t.state === 'scheduled' && t.workerId).map((t) => ({ job: j, task: t })),
  );
  const fx = noEffects();
  for (const { job, task } of assign) fx.assign.push(assignmentOf(job, task));
  fx.endedJobs.push(...r.ended);
  fx.events.push(...r.events);
  for (const w of r.state.workers()) fx.changedWorkers.add(w.id);
  return fx;
}

/**
 * Every placed task still `scheduled` (not yet confirmed by its worker) of a job placed at or
 * before `before` (clock ms) and not being cancelled: what a leader sends again in case its
 * dispatch was lost on the way (workers ignore an attempt they already have).
 */
export function unconfirmedAssignments(state: ControlState, before: number): Effects['assign'] {
  const assign: Effects['assign'] = [];
  for (const j of state.jobs()) {
    if (j.cancelRequested || j.scheduledAt === null || j.scheduledAt > before) continue;
    for (const t of j.tasks) if (t.state === 'scheduled' && t.workerId) assign.push(assignmentOf(j, t));
  }
  return assign;
}
