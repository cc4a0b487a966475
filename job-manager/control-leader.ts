import { EventRing, type ControlState, type EventPage } from '../core/control-state/index.js';
import {
  type CommandOutcome,
  type ControlIntent,
  type IntentPort,
  NotLeaderError,
} from '../core/control-state/index.js';
import type { AppError } from '../core/errors/index.js';
import type { JobRecord } from '../core/model/records.js';
import type {
  ControlLeaderDeps,
  ControlLeaderOptions,
  LeaderState,
  LeaderStats,
} from './control-leader-options.js';
import type { Pending } from './cycle-batch.js';
import { CycleFinisher } from './cycle-finisher.js';
import { CyclePlanner } from './cycle-planner.js';
import { EndedJobs } from './ended-jobs.js';
import { recoverState, recoveryEffects, unconfirmedAssignments } from './leader-recovery.js';
import { LeaderLog } from './leader-log.js';
import { LeaderSnapshots } from './leader-snapshots.js';
import { RecordsWriter, recordBatchOf } from './records-writer.js';

/**
 * The one writer of control state. Intents from every component queue here; a cycle applies all
 * that are pending (one at a time, in order, through {@link ControlState.apply}), runs at most one
 * scheduling round on the result, appends every command that changed something to the control
 * log in one batch, and only then answers the intents and performs the effects (dispatch, records).
 * Intents arriving during a cycle coalesce into the next: never one round per message.
 *
 * If the append fails the leader's memory is ahead of the log, so it steps down at once and drops
 * its state; the next leader (possibly itself, re-elected) rebuilds from snapshot + log. Entries
 * a fenced append did persist are answered as done, since the next leader replays them.
 */
export class ControlLeader implements IntentPort {
  private mode: LeaderState = 'standby';
  private state: ControlState | undefined;
  /** This leader's term and log position; appends each cycle's commands. */
  private readonly log: LeaderLog;
  private pending: Pending[] = [];
  /** The cycle applying intents and appending them, if one runs (one at a time). */
  private cycling: Promise<void> | undefined;
  /** Durable cycles still writing records, answering and dispatching, in order. */
  private readonly finisher: CycleFinisher;
  /** Applies a cycle's intents and plans its round; knows when a cycle is due without intents. */
  private readonly planner: CyclePlanner;
  private readonly snapshots: LeaderSnapshots;
  /** The jobs this leader ended, for reads by name until (and a while after) their history is written. */
  private readonly ended = new EndedJobs();
  /** Writes the records of durable cycles; retries a failed write with the next batch. */
  private readonly records: RecordsWriter;
  /**
   * The latest events of durable cycles, for the event stream (`GET /api/v1/events`): readers
   * poll it by id instead of scanning the database. Starts empty with each leadership.
   */
  private readonly events = new EventRing();
  private stepDownListener: ((reason: string) => void) | undefined;
  readonly stats: LeaderStats = {
    cycles: 0,
    rounds: 0,
    entries: 0,
    applyMs: 0,
    planMs: 0,
    appendMs: 0,
    finishMs: 0,
    snapshots: 0,
  };

  constructor(
    private readonly options: ControlLeaderOptions,
    private readonly deps: ControlLeaderDeps,
  ) {
    this.log = new LeaderLog(deps.log);
    this.records = new RecordsWriter(
      deps.records,
      options.recordsTimeoutMs ?? 10_000,
      deps.logger,
      (batch) => {
        for (const j of batch.ended) this.ended.written(j);
      },
    );
    this.finisher = new CycleFinisher(this.records, this.events, deps.dispatch, deps.logger, this.stats);
    this.planner = new CyclePlanner(
      options,
      deps,
      this.ended,
      this.stats,
      () => this.mode === 'leading',
      () => this.kick(),
    );
    this.snapshots = new LeaderSnapshots(deps, options.snapshotEveryEntries ?? 5000, () => {
      this.stats.snapshots++;
    });
  }

  getState(): LeaderState {
    return this.mode;
  }

  /** The leader's state for read-only queries; undefined unless leading. Never mutate it. */
  view(): ControlState | undefined {
    return this.mode === 'leading' ? this.state : undefined;
  }

  endedRecently(name: string): JobRecord | undefined {
    return this.mode === 'leading' ? this.ended.get(name) : undefined;
  }

  endedUnwritten(): Iterable<JobRecord> {
    return this.mode === 'leading' ? this.ended.unwritten() : [];
  }

  /** Recent events of this leadership (see {@link EventRing.page}); none unless leading. */
  recentEvents(q: Parameters<EventRing['page']>[0]): EventPage {
    return this.mode === 'leading'
      ? this.events.page(q)
      : { events: [], gap: q.after !== undefined, newest: null };
  }

  /** Called when the leader steps down on its own (fenced, log unwritable). */
  onStepDown(listener: (reason: string) => void): void {
    this.stepDownListener = listener;
  }

  /**
   * Takes over with fencing term `term`: loads the latest snapshot, replays the log, claims the
   * term in the log (fencing the previous leader), then re-sends what may have been lost with the
   * previous leader: every placed task not yet confirmed running (workers ignore duplicates).
   */
  async lead(term: number): Promise<void> {
    if (this.mode !== 'standby') throw new Error(`ControlLeader.lead in state ${this.mode}`);
    this.mode = 'recovering';
    try {
      // Records of the log entries after this were perhaps never written: they are written again.
      const recordsThrough = await this.deps.records.writtenThrough().catch(() => 0);
      const r = await recoverState(
        this.deps.log,
        this.deps.snapshots,
        { term, leader: this.options.id, at: this.deps.clock.now() },
        recordsThrough,
      );
      if (this.mode !== 'recovering') return; // stepped down or closed meanwhile
      this.state = r.state;
      this.log.term = r.term;
      this.log.nextSeq = r.nextSeq;
      this.snapshots.reset(r.replayed);
      this.mode = 'leading';
      this.deps.logger.info(
        { term: r.term, seq: r.nextSeq - 1, replayed: r.replayed, ms: Math.round(r.ms) },
        'leading',
      );
      const fx = recoveryEffects(r);
      for (const j of r.ended) if (j.name && !r.state.job(j.name)) this.ended.keep(j);
      await this.finisher.finish(fx, { ...recordBatchOf(fx, r.state, true), throughSeq: r.nextSeq - 1 });
      this.planner.dirty = true;
      this.kick();
    } catch (err) {
      if (this.mode === 'recovering') this.mode = 'standby';
      this.state = undefined;
      throw err;
    }
  }

  /** Stops leading: pending intents are refused with 503, the state is dropped. */
  async stepDown(reason: string): Promise<void> {
    if (this.mode === 'closed' || this.mode === 'standby') return;
    this.drop(reason);
    await this.cycling;
    await this.finisher.busy;
  }

  private drop(reason: string): void {
    this.mode = 'standby';
    this.state = undefined;
    this.ended.clear();
    this.events.clear();
    this.planner.dirty = false;
    this.failPending(reason);
  }

  propose(intent: ControlIntent): Promise<CommandOutcome> {
    if (this.mode !== 'leading') {
      return Promise.reject(notLeader(`this JobManager is ${this.mode}, not leading`));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ intent, resolve, reject });
      this.kick();
    });
  }

  /** Asks for a scheduling round (e.g. a timer covering anything missed). */
  nudge(): void {
    this.planner.dirty = true;
    this.kick();
  }

  /**
   * Sends again every placed task still `scheduled` (not yet confirmed by its worker) that was
   * placed at least `olderThanMs` ago: a dispatch lost on the way (a GlobalManager restart, a
   * worker between two sessions) is repaired here. Workers ignore an attempt they already have.
   */
  resend(olderThanMs: number): void {
    const state = this.view();
    if (!state) return;
    const before = this.deps.clock.now() - olderThanMs;
    const assign = unconfirmedAssignments(state, before);
    if (assign.length === 0) return;
    void this.deps.dispatch
      .dispatch({ assign, stop: [] })
      .catch((err: unknown) => this.deps.logger.error({ err }, 're-dispatch failed'));
  }

  /** Resolves when no cycle runs or is due (tests wait for quiescence with it). */
  async idle(): Promise<void> {
    while (this.cycling || this.finisher.busy || this.snapshots.busy) {
      await this.cycling;
      await this.finisher.busy;
      await this.snapshots.busy;
    }
  }

  async close(): Promise<void> {
    if (this.mode === 'closed') return;
    const wasLeading = this.mode === 'leading';
    this.mode = 'closed';
    this.planner.close();
    this.failPending('the JobManager is closing');
    await this.cycling;
    await this.finisher.busy;
    await this.snapshots.busy;
    if (wasLeading) this.deps.logger.info({ term: this.log.term }, 'stopped leading');
    this.state = undefined;
  }

  private kick(): void {
    if (this.cycling || this.mode !== 'leading') return;
    if (this.pending.length === 0 && !this.planner.due) return;
    // A snapshot is taken when memory equals the durable log with its records written: when it
    // is due, the pipeline drains first (the last finishing cycle takes it and kicks again).
    if (this.finisher.busy && this.snapshots.due) return;
    this.cycling = this.cycle()
      .catch((err: unknown) => this.deps.logger.error({ err }, 'leader cycle failed'))
      .finally(() => {
        this.cycling = undefined;
        this.kick();
      });
  }

  private async cycle(): Promise<void> {
    const state = this.state;
    if (!state) return;
    const batch = this.pending.splice(0, this.options.maxIntentsPerCycle ?? 5000);
    const at = this.deps.clock.now();
    const { logged, applyMs, planMs } = this.planner.plan(state, batch, at);
    const { fx, commands } = logged;
    const t2 = performance.now();
    let throughSeq: number | undefined;
    if (commands.length > 0) {
      try {
        throughSeq = await this.log.append(logged, at, this.options.appendTimeoutMs ?? 30_000);
      } catch (err) {
        this.deps.logger.error({ err, term: this.log.term }, 'control log append failed: stepping down');
        this.drop('control log append failed');
        this.stepDownListener?.(String((err as Error).message));
        return;
      }
      this.snapshots.logged(commands.length);
      this.stats.entries += commands.length;
    }
    const t3 = performance.now();
    const s = this.stats;
    s.cycles++;
    s.applyMs += applyMs;
    s.planMs += planMs;
    s.appendMs += t3 - t2;
    if (fx.schedule) this.planner.dirty = true;
    // What this cycle answers and writes is taken now: the next cycle changes the state next.
    const records = { ...recordBatchOf(fx, state), throughSeq };
    const settled = logged.settled(state);
    this.finisher.push({ fx, records, settled }, () => {
      // Nothing after the last finished cycle was applied (no cycle runs): memory equals the
      // durable log, and its records are written.
      if (!this.cycling && this.state === state && this.mode === 'leading')
        this.snapshots.maybeTake(state, this.log.nextSeq - 1, this.log.term, this.records.behind);
      this.kick();
    });
  }

  private failPending(reason: string): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.reject(notLeader(reason));
  }
}

function notLeader(why: string): AppError {
  return new NotLeaderError(why);
}
