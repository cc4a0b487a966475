import { workerViewOf } from '../control/cluster-snapshot.js';
import { bookingKey } from '../control/worker-bookings.js';
import { placedLiveTasks } from '../control/job-transitions.js';
import { desiredOnWorker } from '../control/task-assignment.js';
import { isTerminalJobState, JOB_STATES, type JobState } from '../job/job-state.js';
import type { Booking, JobRecord, WorkerRecord } from '../model/records.js';
import type { TaskAssignment } from '../protocol/messages.js';
import { LiveIndex } from '../scheduler/live-index.js';
import type { ClusterSnapshot, WorkerView } from '../scheduler/types.js';
import { applyJobCommand } from './apply-jobs.js';
import { GroupInstances } from './group-instances.js';
import { StartFailureTable, type StartFailureEntry } from './start-failures.js';
import { spreadGroupOf } from '../job/spread-group.js';
import { applyServiceCommand } from './apply-services.js';
import { applyAutoscaleCommand } from './apply-autoscale.js';
import { ServiceLoadTable, type ServiceLoadEntry } from './service-load.js';
import { ServiceReadyTable, type ServiceReadyEntry } from './service-readiness.js';
import { ServiceTable } from './service-table.js';
import type { ServiceRecord } from '../services/service-model.js';
import { applyWorkerCommand } from './apply-workers.js';
import type { ControlCommand } from './control-command.js';
import { stateConsistencyProblems } from './state-consistency.js';
import { noEffects, type Effects } from './state-effects.js';
import type { StateWriter } from './state-writer.js';
import { WaitingQueue } from './waiting-queue.js';

/** Version of {@link ControlSnapshotData}; a snapshot of another version is refused on restore. */
export const SNAPSHOT_VERSION = 1;

/** Everything the state holds, as plain data: what a snapshot stores. */
export interface ControlSnapshotData {
  readonly v: number;
  readonly term: number;
  readonly leader: string | null;
  readonly strategy: string | null;
  readonly jobs: readonly JobRecord[];
  readonly workers: readonly WorkerRecord[];
  /** Ended jobs still remembered: name, when they ended, how. */
  readonly ended: readonly (readonly [string, number, JobState])[];
  /** Failed starts per (worker, group) (absent in snapshots taken before retry-next-node). */
  readonly startFailures?: readonly StartFailureEntry[];
  /** Services (absent in snapshots taken before services existed). */
  readonly services?: readonly ServiceRecord[];
  /** The gateways' latest load reports (absent in snapshots taken before the autoscaler). */
  readonly serviceLoad?: readonly ServiceLoadEntry[];
  /** The gateways' latest readiness reports (absent in snapshots taken before health-gated rollouts). */
  readonly serviceReady?: readonly ServiceReadyEntry[];
  /** When a worker last joined or rejoined (absent in snapshots taken before the settle delay). */
  readonly lastJoinAt?: number;
}

/**
 * The control state: live jobs, workers and their bookings, held in memory by the leader and
 * changed only by {@link ControlState.apply}, one command at a time.
 *
 * `apply` is deterministic and does no I/O: the same state and command always give the same next
 * state and the same {@link Effects}, which is what lets a standby rebuild the leader's state from
 * a snapshot plus the log. Bookings are derived from the placed, non-terminal tasks of live jobs
 * whenever a job changes, so "booked" and "running" cannot drift apart and
 * {@link ControlState.consistencyProblems} is exact at every moment.
 *
 * A job leaves live state once it has ended and nothing of it holds a booking; the leader hands
 * it to the history store (the system of record) then.
 */
export class ControlState implements StateWriter {
  private readonly jobMap = new Map<string, JobRecord>();
  private readonly workerMap = new Map<string, WorkerRecord>();
  /** workerId → names of live jobs with a placed live task there. */
  private readonly onWorker = new Map<string, Set<string>>();
  /** Waiting jobs not being cancelled, in scheduling order. */
  private readonly waiting = new WaitingQueue();
  /** Ended jobs' names → when they ended; a name stays taken until retention forgets it. */
  private readonly endedAt = new Map<string, { readonly at: number; readonly state: JobState }>();
  /**
   * The scheduler's view of each worker, kept across rounds and dropped when the worker changes,
   * so a round re-describes only what changed since the last one (a full rebuild of 1,000
   * workers costs more than planning a few jobs on them).
   */
  private readonly views = new Map<string, WorkerView | null>();
  /** Worker ids in order, rebuilt only when a worker joins. */
  private sortedIds: string[] | undefined;
  /**
   * The scheduler's index kept across rounds, made by the first round that asks for it (a standby
   * or a test that never plans pays nothing), then told about every worker that changed.
   */
  private live: LiveIndex | undefined;
  /** Workers changed since the live index last heard of them; told once per round, not per change. */
  private readonly liveStale = new Set<string>();
  private strategyName: string | null = null;
  /** Failed starts per (worker, group): the scheduler avoids pairs backing off (retry-next-node). */
  readonly startFailures = new StartFailureTable();
  /** Instances of each spread group per worker, from the bookings. */
  private readonly instances = new GroupInstances();
  /** Services and the index of their live replica jobs. */
  readonly services = new ServiceTable();
  /** The gateways' latest load reports per service: the autoscaler's input. */
  readonly serviceLoad = new ServiceLoadTable();
  /** The replicas each gateway last found ready, per service: a rolling replace's health gate. */
  readonly serviceReady = new ServiceReadyTable();
  private termNo = 0;
  private leaderId: string | null = null;
  /** When the latest `worker-joined` command was applied; -Infinity before any. */
  private joinAt = Number.NEGATIVE_INFINITY;

  /** Applies one command. Refused commands change nothing and say why in `outcome`. */
  apply(cmd: ControlCommand): Effects {
    switch (cmd.kind) {
      case 'submit':
      case 'cancel':
      case 'place':
      case 'reports':
        return applyJobCommand(this, cmd);
      case 'worker-joined':
        this.joinAt = Math.max(this.joinAt, cmd.at);
        return applyWorkerCommand(this, cmd);
      case 'worker-lost':
      case 'worker-state':
      case 'worker-removed':
      case 'move-task':
      case 'resize-task':
        return applyWorkerCommand(this, cmd);
      case 'strategy': {
        const fx = noEffects();
        this.strategyName = cmd.name;
        fx.events.push({ at: cmd.at, kind: 'strategy-changed', detail: cmd.name });
        fx.schedule = true;
        return fx;
      }
      case 'term-start':
        this.setTerm(cmd.term, cmd.leader);
        return noEffects();
      case 'forget-ended': {
        for (const [name, e] of this.endedAt) if (e.at < cmd.before) this.endedAt.delete(name);
        return noEffects();
      }
      case 'service-put':
      case 'service-delete':
      case 'service-scale':
        return applyServiceCommand(this, cmd);
      case 'service-load':
      case 'service-autoscale':
        return applyAutoscaleCommand(this, cmd);
    }
  }

  // ---- queries

  job(name: string): JobRecord | undefined {
    return this.jobMap.get(name);
  }

  worker(id: string): WorkerRecord | undefined {
    return this.workerMap.get(id);
  }

  /** Live jobs, in no particular order. */
  jobs(): IterableIterator<JobRecord> {
    return this.jobMap.values();
  }

  /** Every worker, ordered by id. */
  workers(): WorkerRecord[] {
    return [...this.workerMap.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The scheduler's immutable input: every worker but the `left` ones, ordered by id (the same as
   * `snapshotOf(this.workers(), version)`, from cached views).
   */
  clusterSnapshot(version: number): ClusterSnapshot {
    this.sortedIds ??= [...this.workerMap.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const workers: WorkerView[] = [];
    for (const id of this.sortedIds) {
      const v = this.viewOf(id);
      if (v) workers.push(v);
    }
    return { version, workers };
  }

  /**
   * The scheduler's live index over the same workers as {@link clusterSnapshot}, brought up to
   * date with the workers changed since the last call: O(changed workers × (log N + cores)).
   * Plan on it with `scheduleOnLive`, which leaves it as found; change it only through commands.
   */
  schedulerIndex(): LiveIndex {
    if (this.live === undefined) {
      this.live = new LiveIndex();
      for (const id of this.workerMap.keys()) this.liveStale.add(id);
    }
    for (const id of this.liveStale) {
      const v = this.viewOf(id);
      if (v) this.live.upsert(v);
      else this.live.remove(id);
    }
    this.liveStale.clear();
    return this.live;
  }

  /** group → worker → placed live tasks of the group there, for the groups asked (spread). */
  groupInstances(groups: Iterable<string>): Record<string, Record<string, number>> {
    return this.instances.of(groups);
  }

  /** Waiting jobs not being cancelled, oldest first (by submit time, then name), at most `limit`. */
  waitingJobs(limit = Number.POSITIVE_INFINITY): JobRecord[] {
    return this.waiting.first(limit).map((name) => this.jobMap.get(name) as JobRecord);
  }

  jobsOnWorker(id: string): readonly string[] {
    return [...(this.onWorker.get(id) ?? [])];
  }

  /** What `workerId` should be running now: its full desired set, sent when it (re)connects. */
  desiredOn(workerId: string): TaskAssignment[] {
    return this.jobsOnWorker(workerId).flatMap((n) =>
      desiredOnWorker(this.jobMap.get(n) as JobRecord, workerId),
    );
  }

  hasEnded(name: string): boolean {
    return this.endedAt.has(name);
  }

  /**
   * When a worker last joined or rejoined (-Infinity before any): the fleet may still be growing
   * shortly after, so "can never fit" is judged only once it has been quiet (see planRound).
   */
  lastJoinAt(): number {
    return this.joinAt;
  }

  fleetKnown(): boolean {
    for (const w of this.workerMap.values()) if (w.state !== 'left') return true;
    return false;
  }

  get strategy(): string | null {
    return this.strategyName;
  }

  get term(): number {
    return this.termNo;
  }

  get leader(): string | null {
    return this.leaderId;
  }

  /** Live jobs by state (ended jobs are in history, not counted here). */
  countByState(): Record<JobState, number> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const j of this.jobMap.values()) counts[j.state]++;
    return counts;
  }

  /** Jobs by state, live and ended alike (ended ones until retention forgets them). */
  countAll(): Record<JobState, number> {
    const counts = this.countByState();
    for (const e of this.endedAt.values()) counts[e.state]++;
    return counts;
  }

  /** Every way bookings and live tasks disagree; empty at every moment unless there is a bug. */
  consistencyProblems(): string[] {
    return stateConsistencyProblems(this.workerMap.values(), this.jobMap);
  }

  // ---- writer (used by the command handlers)

  putJob(next: JobRecord, fx: Effects): void {
    const before = this.jobMap.get(next.name);
    const oldBookings = before ? liveBookings(before) : new Map<string, PlacedBooking>();
    const newBookings = liveBookings(next);
    const at = next.scheduledAt ?? next.submittedAt;
    for (const [key, old] of oldBookings) {
      const now = newBookings.get(key);
      if (now && sameBooking(now, old)) continue;
      this.unbook(old, fx);
    }
    for (const [key, b] of newBookings) {
      const old = oldBookings.get(key);
      if (old && sameBooking(old, b)) continue;
      this.book(b, old?.bookedAt ?? at, fx);
    }
    // Versions count changes, as the stored records always did (the API and tools show them).
    const stored: JobRecord = { ...next, version: (before?.version ?? 0) + 1 };
    fx.changedJobs.add(next.name);
    const service = stored.spec.service;
    if (isTerminalJobState(stored.state) && newBookings.size === 0) {
      this.jobMap.delete(stored.name);
      this.waiting.set(stored.name, undefined);
      this.endedAt.set(stored.name, { at: stored.finishedAt ?? stored.submittedAt, state: stored.state });
      fx.endedJobs.push(stored);
      if (service) this.services.noteReplica(service.name, stored.name, service.replica, false);
    } else {
      this.jobMap.set(stored.name, stored);
      this.waiting.set(stored.name, waitingKey(stored));
      if (service) this.services.noteReplica(service.name, stored.name, service.replica, true);
    }
    const digest = stored.tasks.find((t) => t.state === 'running' && t.imageDigest)?.imageDigest;
    if (service && digest) this.services.pinDigest(service.name, service.generation, digest);
  }

  putWorker(next: WorkerRecord, fx: Effects): void {
    const before = this.workerMap.get(next.id);
    if (!before) this.sortedIds = undefined;
    this.views.delete(next.id);
    if (this.live) this.liveStale.add(next.id);
    this.workerMap.set(next.id, { ...next, version: (before?.version ?? 0) + 1 });
    fx.changedWorkers.add(next.id);
  }

  setStrategy(name: string): void {
    this.strategyName = name;
  }

  setTerm(term: number, leader: string): void {
    this.termNo = Math.max(this.termNo, term);
    this.leaderId = leader;
  }

  /** The cached scheduler view of a worker; null for a `left` worker (it is in no snapshot). */
  private viewOf(id: string): WorkerView | null {
    let v = this.views.get(id);
    if (v === undefined) {
      const w = this.workerMap.get(id) as WorkerRecord;
      v = w.state === 'left' ? null : workerViewOf(w);
      this.views.set(id, v);
    }
    return v;
  }

  private book(b: PlacedBooking, bookedAt: number, fx: Effects): void {
    const w = this.workerMap.get(b.workerId);
    if (!w) throw new Error(`ControlState: booking ${b.key} on unknown worker ${b.workerId}`);
    const booking: Booking = {
      job: b.job,
      task: b.task,
      attempt: b.attempt,
      coreIds: b.coreIds,
      memoryBytes: b.memoryBytes,
      bookedAt,
    };
    this.putWorker({ ...w, bookings: [...w.bookings, booking] }, fx);
    this.instances.add(b.group, b.workerId);
    let set = this.onWorker.get(b.workerId);
    if (!set) this.onWorker.set(b.workerId, (set = new Set()));
    set.add(b.job);
  }

  private unbook(b: PlacedBooking, fx: Effects): void {
    this.instances.remove(b.group, b.workerId);
    const w = this.workerMap.get(b.workerId);
    if (w) {
      const kept = w.bookings.filter((x) => bookingKey(x) !== b.key);
      this.putWorker({ ...w, bookings: kept }, fx);
      if (!kept.some((x) => x.job === b.job)) this.onWorker.get(b.workerId)?.delete(b.job);
    }
    fx.schedule = true;
  }

  // ---- snapshots

  /** The whole state as plain data. */
  toSnapshot(): ControlSnapshotData {
    return {
      v: SNAPSHOT_VERSION,
      term: this.termNo,
      leader: this.leaderId,
      strategy: this.strategyName,
      jobs: [...this.jobMap.values()],
      workers: this.workers(),
      ended: [...this.endedAt].map(([name, e]) => [name, e.at, e.state] as const),
      startFailures: this.startFailures.list(),
      services: this.services.list(),
      serviceLoad: this.serviceLoad.list(),
      serviceReady: this.serviceReady.list(),
      ...(Number.isFinite(this.joinAt) ? { lastJoinAt: this.joinAt } : {}),
    };
  }

  /**
   * Rebuilds a state from a snapshot. Bookings are re-derived from the jobs (the snapshot's own
   * booking lists are not trusted), so a restored state is consistent by construction.
   * @throws Error when the snapshot has another version
   */
  static fromSnapshot(data: ControlSnapshotData): ControlState {
    if (data.v !== SNAPSHOT_VERSION) {
      throw new Error(`control snapshot version ${String(data.v)} is not ${SNAPSHOT_VERSION}`);
    }
    const s = new ControlState();
    s.termNo = data.term;
    s.leaderId = data.leader;
    s.strategyName = data.strategy;
    if (data.lastJoinAt !== undefined) s.joinAt = data.lastJoinAt;
    for (const [name, at, state] of data.ended) s.endedAt.set(name, { at, state });
    s.startFailures.restore(data.startFailures ?? []);
    for (const w of data.workers) s.workerMap.set(w.id, { ...w, bookings: [] });
    const fx = noEffects();
    for (const r of data.services ?? []) s.services.put(r);
    s.serviceLoad.restore(data.serviceLoad ?? []);
    s.serviceReady.restore(data.serviceReady ?? []);
    for (const j of data.jobs) {
      for (const b of liveBookings(j).values()) s.book(b, b.bookedAt, fx);
      s.jobMap.set(j.name, j);
      s.waiting.set(j.name, waitingKey(j));
      if (j.spec.service) s.services.noteReplica(j.spec.service.name, j.name, j.spec.service.replica, true);
    }
    // Booking a worker counted as a change; the restored versions are the snapshot's own.
    for (const w of data.workers) {
      const restored = s.workerMap.get(w.id);
      if (restored) s.workerMap.set(w.id, { ...restored, version: w.version });
    }
    return s;
  }
}

interface PlacedBooking {
  readonly key: string;
  readonly workerId: string;
  readonly job: string;
  readonly task: string;
  readonly attempt: number;
  readonly coreIds: readonly number[];
  readonly memoryBytes: number;
  readonly bookedAt: number;
  /** The job's spread group. */
  readonly group: string;
}

/** The bookings a job's placed live tasks hold, keyed by task attempt. */
function liveBookings(job: JobRecord): Map<string, PlacedBooking> {
  const out = new Map<string, PlacedBooking>();
  for (const t of placedLiveTasks(job)) {
    const key = bookingKey({ job: job.name, task: t.name, attempt: job.attempt });
    out.set(key, {
      key,
      workerId: t.workerId as string,
      job: job.name,
      task: t.name,
      attempt: job.attempt,
      coreIds: t.coreIds,
      memoryBytes: t.memoryBytes,
      bookedAt: job.scheduledAt ?? job.submittedAt,
      group: spreadGroupOf(job.spec),
    });
  }
  return out;
}

/** The submit time a job is queued under for scheduling, or undefined when it is not waiting. */
function waitingKey(job: JobRecord): number | undefined {
  return job.state === 'waiting' && !job.cancelRequested ? job.submittedAt : undefined;
}

function sameBooking(a: PlacedBooking, b: PlacedBooking): boolean {
  return (
    a.workerId === b.workerId &&
    a.memoryBytes === b.memoryBytes &&
    a.coreIds.length === b.coreIds.length &&
    a.coreIds.every((c, i) => c === b.coreIds[i])
  );
}
