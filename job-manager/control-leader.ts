import type { Clock } from '../core/clock/clock.js';
import { EventRing, type ControlState, type EventPage } from '../core/control-state/index.js';
import {
  mergeEffects,
  noEffects,
  planRound,
  reconcileServices,
  roundPasses,
  type CommandOutcome,
  type ControlCommand,
  type ControlIntent,
  type Effects,
  type IntentPort,
  type LoggedCommands,
  eventId,
  type RecordBatch,
  type RecordSink,
  NotLeaderError,
  mergeRecordBatches,
} from '../core/control-state/index.js';
import { isLogFencedError, type ControlLog, type LogEntry } from '../core/durable/control-log.js';
import type { SnapshotStore } from '../core/durable/snapshot-store.js';
import { assignmentOf } from '../core/control/task-assignment.js';
import { AppError } from '../core/errors/index.js';
import type { Logger } from '../core/log/logger.js';
import type { ClusterEvent, JobRecord } from '../core/model/records.js';
import type { DispatchLink } from '../core/transport/control-links.js';
import { recoverState, snapshotItems } from './leader-recovery.js';
import type { StartBackoffPolicy } from '../core/control-state/start-failures.js';
import type { UnplacedCode } from '../core/scheduler/types.js';

/** Options of the {@link ControlLeader}. */
export interface ControlLeaderOptions {
  /** This JobManager's id (recorded in each term start). */
  readonly id: string;
  readonly defaultStrategy: string;
  readonly agingPerSecond: number;
  /** Waiting jobs considered per round. @defaultValue 5000 */
  readonly maxJobsPerRound?: number;
  /** Intents applied per cycle at most (the rest wait for the next cycle). @defaultValue 5000 */
  readonly maxIntentsPerCycle?: number;
  /** Log entries between snapshots. @defaultValue 5000 */
  readonly snapshotEveryEntries?: number;
  /**
   * An append that has not settled by then counts as failed (the leader steps down; its
   * successor replays whatever landed). @defaultValue 30000
   */
  readonly appendTimeoutMs?: number;
  /** A records write that has not settled by then is retried with the next batch. @defaultValue 10000 */
  readonly recordsTimeoutMs?: number;
  /** How long a group avoids a worker after failed starts there. @defaultValue DEFAULT_START_BACKOFF */
  readonly startBackoff?: StartBackoffPolicy;
}

/** What the leader is built from: role-named ports only. */
export interface ControlLeaderDeps {
  readonly log: ControlLog<LoggedCommands>;
  readonly snapshots: SnapshotStore;
  readonly dispatch: DispatchLink;
  readonly records: RecordSink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told about each scheduling round once it is planned (metrics; see leader-metrics.ts). */
  readonly onRound?: (round: RoundSample) => void;
}

/** One scheduling round as the metrics see it. */
export interface RoundSample {
  /** Planning and applying the plan, all passes. */
  readonly seconds: number;
  /** Tasks the round placed. */
  readonly placements: number;
  /** The code of each job the round left unplaced. */
  readonly unplaced: readonly UnplacedCode[];
}

/**
 * Lifecycle: `standby` (holds no state, refuses intents) → `recovering` (loading snapshot + log,
 * claiming its term) → `leading` → back to `standby` when it steps down (lease lost, log fenced or
 * unwritable) → `closed`.
 */
export type LeaderState = 'standby' | 'recovering' | 'leading' | 'closed';

interface Pending {
  readonly intent: ControlIntent;
  resolve(outcome: CommandOutcome): void;
  reject(err: Error): void;
}

/** Ended jobs a leader keeps for reads by name. */
const RECENTLY_ENDED = 10_000;

/** Where a cycle's time went, cumulative (benchmarks print it). */
export interface LeaderStats {
  cycles: number;
  rounds: number;
  entries: number;
  applyMs: number;
  planMs: number;
  appendMs: number;
  /** Writing records and handing effects to the dispatch link. */
  finishMs: number;
  snapshots: number;
}

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
  private term = 0;
  private nextSeq = 1;
  private pending: Pending[] = [];
  /** The cycle applying intents and appending them, if one runs (one at a time). */
  private cycling: Promise<void> | undefined;
  /**
   * Durable cycles still writing records, answering and dispatching, chained in order. The next
   * cycle applies and appends meanwhile, so a store's write latency is paid once, not twice.
   */
  private finishing: Promise<void> | undefined;
  /** Durable cycles waiting to be finished, oldest first. */
  private finishQueue: {
    readonly fx: Effects;
    readonly records: RecordBatch;
    readonly settled: readonly { readonly p: Pending; readonly outcome: CommandOutcome }[];
  }[] = [];
  private dirty = false;
  /**
   * A service's reconcile asked to look again at a time (a rolling replace waiting for a grace
   * period or a gateway's report): the timer kicks a cycle then, with `wakeDue` set.
   */
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeDue = false;
  private round = 0;
  private sinceSnapshot = 0;
  private snapshotting: Promise<void> | undefined;
  /** Record batches whose write failed, retried with the next one. */
  private unwritten: RecordBatch[] = [];
  /** The last jobs this leader ended, newest last (reads of a just-finished job need no scan). */
  private readonly recent = new Map<string, JobRecord>();
  /** Ended jobs not yet in history: reads must still find them. */
  private readonly pendingHistory = new Map<string, JobRecord>();
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
  ) {}

  getState(): LeaderState {
    return this.mode;
  }

  /** The leader's state for read-only queries; undefined unless leading. Never mutate it. */
  view(): ControlState | undefined {
    return this.mode === 'leading' ? this.state : undefined;
  }

  endedRecently(name: string): JobRecord | undefined {
    return this.mode === 'leading' ? this.recent.get(name) : undefined;
  }

  endedUnwritten(): Iterable<JobRecord> {
    return this.mode === 'leading' ? this.pendingHistory.values() : [];
  }

  /** Recent events of this leadership (see {@link EventRing.page}); none unless leading. */
  recentEvents(q: Parameters<EventRing['page']>[0]): EventPage {
    return this.mode === 'leading'
      ? this.events.page(q)
      : { events: [], gap: q.after !== undefined, newest: null };
  }

  /** Retention: ended jobs before `before` are no longer answered from memory either. */
  private forgetRecent(before: number): void {
    for (const [name, j] of this.recent)
      if ((j.finishedAt ?? j.submittedAt) < before) this.recent.delete(name);
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
      this.term = r.term;
      this.nextSeq = r.nextSeq;
      this.sinceSnapshot = r.replayed;
      this.mode = 'leading';
      this.deps.logger.info(
        { term: r.term, seq: r.nextSeq - 1, replayed: r.replayed, ms: Math.round(r.ms) },
        'leading',
      );
      const assign = [...r.state.jobs()].flatMap((j) =>
        j.tasks.filter((t) => t.state === 'scheduled' && t.workerId).map((t) => ({ job: j, task: t })),
      );
      const fx = noEffects();
      for (const { job, task } of assign) fx.assign.push(assignmentOf(job, task));
      // The previous leader may have died between its last append and its records: history for
      // jobs that ended in the replayed log, the workers and the strategy are written again.
      fx.endedJobs.push(...r.ended);
      fx.events.push(...r.events);
      for (const j of r.ended) {
        if (j.name && !r.state.job(j.name)) this.recent.set(j.name, j);
        if (this.recent.size > RECENTLY_ENDED) this.recent.delete(this.recent.keys().next().value as string);
      }
      for (const w of r.state.workers()) fx.changedWorkers.add(w.id);
      await this.finish(fx, { ...recordBatchOf(fx, r.state, true), throughSeq: r.nextSeq - 1 });
      this.dirty = true;
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
    await this.finishing;
  }

  private drop(reason: string): void {
    this.mode = 'standby';
    this.state = undefined;
    this.recent.clear();
    this.pendingHistory.clear();
    this.events.clear();
    this.dirty = false;
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
    this.dirty = true;
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
    const assign: Effects['assign'] = [];
    for (const j of state.jobs()) {
      if (j.cancelRequested || j.scheduledAt === null || j.scheduledAt > before) continue;
      for (const t of j.tasks) if (t.state === 'scheduled' && t.workerId) assign.push(assignmentOf(j, t));
    }
    if (assign.length === 0) return;
    void this.deps.dispatch
      .dispatch({ assign, stop: [] })
      .catch((err: unknown) => this.deps.logger.error({ err }, 're-dispatch failed'));
  }

  /** Resolves when no cycle runs or is due (tests wait for quiescence with it). */
  async idle(): Promise<void> {
    while (this.cycling || this.finishing || this.snapshotting) {
      await this.cycling;
      await this.finishing;
      await this.snapshotting;
    }
  }

  async close(): Promise<void> {
    if (this.mode === 'closed') return;
    const wasLeading = this.mode === 'leading';
    this.mode = 'closed';
    clearTimeout(this.wakeTimer);
    this.failPending('the JobManager is closing');
    await this.cycling;
    await this.finishing;
    await this.snapshotting;
    if (wasLeading) this.deps.logger.info({ term: this.term }, 'stopped leading');
    this.state = undefined;
  }

  /** Kicks a cycle at `at` (clock ms) for the services' reconcile; replaces any earlier timer. */
  private armWake(at: number | undefined): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (at === undefined || this.mode !== 'leading') return;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeDue = true;
        this.kick();
      },
      Math.max(10, at - this.deps.clock.now()),
    );
    this.wakeTimer.unref();
  }

  private kick(): void {
    if (this.cycling || this.mode !== 'leading') return;
    if (this.pending.length === 0 && !this.dirty && !this.wakeDue) return;
    // A snapshot is taken when memory equals the durable log with its records written: when it
    // is due, the pipeline drains first (the last finishing cycle takes it and kicks again).
    if (this.finishing && this.snapshotDue()) return;
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
    const { clock } = this.deps;
    const batch = this.pending.splice(0, this.options.maxIntentsPerCycle ?? 5000);
    const at = clock.now();
    const t0 = performance.now();
    const commands: ControlCommand[] = [];
    /** Per intent: its outcome and how many commands were logged up to and including it. */
    const answers: { p: Pending; outcome: CommandOutcome; upTo: number }[] = [];
    const fx = noEffects();
    /** Per logged command: the range of `fx.events` it produced (for the events' stable ids). */
    const produced: [number, number][] = [];
    for (const p of batch) {
      const cmd = { ...p.intent, at } as ControlCommand;
      if (cmd.kind === 'forget-ended') this.forgetRecent(cmd.before);
      const out = state.apply(cmd);
      const from = fx.events.length;
      mergeEffects(fx, out);
      if (out.outcome.ok) {
        commands.push(cmd);
        produced.push([from, fx.events.length]);
      }
      answers.push({ p, outcome: out.outcome, upTo: commands.length });
    }
    // Services whose replicas or definition changed: start or stop replicas to match, as
    // ordinary logged commands (a standby replaying the log never reconciles itself).
    this.wakeDue = false;
    const services = state.services.takeDirty(at);
    if (services.length > 0) {
      for (const cmd of reconcileServices(state, services, at)) {
        const out = state.apply(cmd);
        const from = fx.events.length;
        mergeEffects(fx, out);
        if (out.outcome.ok) {
          commands.push(cmd);
          produced.push([from, fx.events.length]);
        }
      }
    }
    this.armWake(state.services.nextWake());
    const t1 = performance.now();
    if (this.dirty || fx.schedule) {
      this.dirty = false;
      const round = ++this.round;
      let placed = false;
      const unplaced: UnplacedCode[] = [];
      let placements = 0;
      const onUnplaced = this.deps.onRound ? (code: UnplacedCode) => unplaced.push(code) : undefined;
      for (const pass of roundPasses(
        state.strategy ?? this.options.defaultStrategy,
        state.services.size > 0,
      )) {
        const place = planRound(state, at, {
          strategy: pass.strategy,
          agingPerSecond: this.options.agingPerSecond,
          maxJobs: this.options.maxJobsPerRound ?? 5000,
          round,
          ...(pass.only ? { only: pass.only } : {}),
          ...(this.options.startBackoff ? { startBackoff: this.options.startBackoff } : {}),
          ...(onUnplaced ? { onUnplaced } : {}),
        });
        if (place) {
          placements += place.placements.length;
          const out = state.apply(place);
          commands.push(place);
          const from = fx.events.length;
          mergeEffects(fx, out);
          produced.push([from, fx.events.length]);
          placed = true;
        }
      }
      this.stats.rounds++;
      this.deps.onRound?.({ seconds: (performance.now() - t1) / 1000, placements, unplaced });
      // Capacity a round could not use stays free; only new events ask for another round.
      if (placed) fx.schedule = false;
    }
    const t2 = performance.now();
    // Ended jobs left the state just now: reads find them here until their history is written.
    for (const j of fx.endedJobs) {
      this.pendingHistory.set(j.name, j);
      this.recent.delete(j.name);
      this.recent.set(j.name, j);
      if (this.recent.size > RECENTLY_ENDED) this.recent.delete(this.recent.keys().next().value as string);
    }
    let throughSeq: number | undefined;
    if (commands.length > 0) {
      const groups = entryGroups(commands);
      identifyEvents(fx.events, produced, groups, at, this.nextSeq);
      throughSeq = this.nextSeq + groups.length - 1;
      const entries: LogEntry<LoggedCommands>[] = groups.map((g, i) => ({
        seq: this.nextSeq + i,
        term: this.term,
        at,
        payload: g.commands,
        json: `[${g.json.join(',')}]`,
      }));
      try {
        await bounded(
          this.deps.log.append(entries),
          this.options.appendTimeoutMs ?? 30_000,
          'control log append',
        );
      } catch (err) {
        // Commands in the entries a fenced append did persist.
        const persisted = groups
          .slice(0, isLogFencedError(err) ? err.persisted : 0)
          .reduce((n, g) => n + g.commands.length, 0);
        for (const a of answers) {
          if (a.upTo > 0 && a.upTo <= persisted) a.p.resolve(a.outcome);
          else if (!a.outcome.ok) a.p.resolve(a.outcome);
          // Not retried elsewhere: an unanswered write may still have landed.
          else
            a.p.reject(
              new AppError(
                'STORE_UNAVAILABLE',
                `the control log refused the write: ${(err as Error).message}`,
              ),
            );
        }
        this.deps.logger.error({ err, term: this.term }, 'control log append failed: stepping down');
        this.drop('control log append failed');
        this.stepDownListener?.(String((err as Error).message));
        return;
      }
      this.nextSeq += entries.length;
      this.sinceSnapshot += commands.length;
      this.stats.entries += commands.length;
    }
    const t3 = performance.now();
    const s = this.stats;
    s.cycles++;
    s.applyMs += t1 - t0;
    s.planMs += t2 - t1;
    s.appendMs += t3 - t2;
    if (fx.schedule) this.dirty = true;
    // What this cycle answers and writes is taken now: the next cycle changes the state next.
    const records = { ...recordBatchOf(fx, state), throughSeq };
    const settled = answers.map((a) =>
      // A joining worker's sync is its desired set as of now: it includes what this cycle's round
      // just placed on it (that dispatch may reach the GlobalManager before the join answer).
      a.p.intent.kind === 'worker-joined' && a.outcome.ok
        ? { p: a.p, outcome: { ok: true as const, desired: state.desiredOn(a.p.intent.worker.id) } }
        : { p: a.p, outcome: a.outcome },
    );
    this.finishQueue.push({ fx, records, settled });
    if (this.finishing) return;
    this.finishing = this.finishAll().finally(() => {
      this.finishing = undefined;
      // Nothing after the last finished cycle was applied (no cycle runs): memory equals the
      // durable log, and its records are written.
      if (!this.cycling && this.state === state && this.mode === 'leading') this.maybeSnapshot(state);
      this.kick();
    });
  }

  /**
   * Finishes durable cycles in order until none is queued. Every cycle queued while the previous
   * records write ran is finished together: one records write for all of them (group commit: on
   * a store where a write costs a round trip, the number of writes must not follow the number of
   * small cycles), then each cycle's dispatch and answers, in cycle order.
   */
  private async finishAll(): Promise<void> {
    while (this.finishQueue.length > 0) {
      const items = this.finishQueue.splice(0);
      const t = performance.now();
      await this.writeRecords(mergeRecordBatches(items.map((i) => i.records)));
      // Durable in the log since the append: readers may see them, whatever the records write did.
      for (const i of items) this.events.push(i.records.events);
      for (const i of items) await this.dispatchEffects(i.fx);
      this.stats.finishMs += performance.now() - t;
      for (const i of items) for (const a of i.settled) a.p.resolve(a.outcome);
    }
  }

  /**
   * Performs a durable cycle's effects: the records first (so an answered intent is readable
   * through the API), then the dispatch.
   */
  private async finish(fx: Effects, batch: RecordBatch): Promise<void> {
    await this.writeRecords(batch);
    this.events.push(batch.events);
    await this.dispatchEffects(fx);
  }

  /**
   * Writes records. A failed write is kept and retried with the next batch: the log already holds
   * the truth, the projection only catches up.
   */
  private async writeRecords(batch: RecordBatch): Promise<void> {
    const empty = (b: RecordBatch): boolean => b.ended.length + b.workers.length + b.events.length === 0;
    if (!empty(batch) || this.unwritten.length > 0) {
      const merged = mergeRecordBatches([...this.unwritten, batch]);
      try {
        // Bounded: a write that never settles (a store connection lost mid-command) must not hold
        // every later answer; a late success is harmless, since every record write is idempotent.
        await bounded(
          this.deps.records.write(merged),
          this.options.recordsTimeoutMs ?? 10_000,
          'records write',
        );
        for (const j of merged.ended)
          if (this.pendingHistory.get(j.name) === j) this.pendingHistory.delete(j.name);
        this.unwritten = [];
      } catch (err) {
        this.unwritten = [merged];
        this.deps.logger.error({ err }, 'writing records failed; retried with the next batch');
      }
    }
  }

  private async dispatchEffects(fx: Effects): Promise<void> {
    if (fx.assign.length > 0 || fx.stop.length > 0) {
      await bounded(
        this.deps.dispatch.dispatch({ assign: fx.assign, stop: fx.stop }),
        5_000,
        'dispatch',
      ).catch((err: unknown) => this.deps.logger.error({ err }, 'dispatch failed'));
    }
  }

  private snapshotDue(): boolean {
    return this.sinceSnapshot >= (this.options.snapshotEveryEntries ?? 5000);
  }

  private maybeSnapshot(state: ControlState): void {
    if (this.snapshotting || !this.snapshotDue()) return;
    // Records not yet written would be lost with a log truncated behind them: wait for them.
    if (this.unwritten.length > 0) return;
    const seq = this.nextSeq - 1;
    const data = state.toSnapshot();
    this.sinceSnapshot = 0;
    this.snapshotting = (async () => {
      await this.deps.snapshots.save({
        seq,
        term: this.term,
        at: this.deps.clock.now(),
        items: snapshotItems(data),
      });
      this.stats.snapshots++;
      await this.deps.snapshots.prune();
      await this.deps.log.truncateThrough(seq);
    })()
      .catch((err: unknown) => this.deps.logger.error({ err, seq }, 'snapshot failed'))
      .finally(() => {
        this.snapshotting = undefined;
      });
  }

  private failPending(reason: string): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.reject(notLeader(reason));
  }
}

/** What a cycle hands to the records: `everything` adds the strategy even when unchanged. */
function recordBatchOf(fx: Effects, state: ControlState, everything = false): RecordBatch {
  return {
    ended: fx.endedJobs,
    workers: [...fx.changedWorkers].flatMap((id) => state.worker(id) ?? []),
    events: fx.events,
    strategy:
      everything || fx.events.some((e) => e.kind === 'strategy-changed')
        ? (state.strategy ?? undefined)
        : undefined,
  };
}

/** Commands per log entry at most, and JSON characters (a MongoDB document holds 16 MB). */
const ENTRY_COMMANDS = 1000;
const ENTRY_CHARS = 4 * 1024 * 1024;

/**
 * Gives each event its stable id: the events of entry `k` (seq `firstSeq + k`) are numbered in
 * the order its commands produced them, exactly as a successor replaying that entry numbers them.
 * @param produced per command, in order, its range in `events`
 */
function identifyEvents(
  events: ClusterEvent[],
  produced: readonly (readonly [number, number])[],
  groups: readonly EntryGroup[],
  at: number,
  firstSeq: number,
): void {
  let command = 0;
  groups.forEach((g, k) => {
    let index = 0;
    for (let c = 0; c < g.commands.length; c++, command++) {
      const [from, to] = produced[command] as readonly [number, number];
      for (let e = from; e < to; e++)
        events[e] = { ...(events[e] as ClusterEvent), id: eventId(at, firstSeq + k, index++) };
    }
  });
}

/** One log entry's commands and their JSON texts. */
interface EntryGroup {
  readonly commands: ControlCommand[];
  readonly json: string[];
}

/**
 * A cycle's commands split into log entries: usually one, more only when the cycle is very large
 * (each entry stays a document well under MongoDB's size limit). Each command is serialized once
 * here; the entry's JSON is built from these texts.
 */
function entryGroups(commands: readonly ControlCommand[]): EntryGroup[] {
  const groups: EntryGroup[] = [{ commands: [], json: [] }];
  let chars = 0;
  for (const c of commands) {
    const text = JSON.stringify(c);
    const last = groups[groups.length - 1] as EntryGroup;
    if (
      last.commands.length > 0 &&
      (last.commands.length >= ENTRY_COMMANDS || chars + text.length > ENTRY_CHARS)
    ) {
      groups.push({ commands: [c], json: [text] });
      chars = text.length;
    } else {
      last.commands.push(c);
      last.json.push(text);
      chars += text.length;
    }
  }
  return groups;
}

/**
 * `work`, or a rejection once `ms` pass without it settling (`work` goes on; its outcome is then
 * ignored). For writes whose promise a lost connection may leave pending for good.
 */
function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // a late failure is already accounted for
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function notLeader(why: string): AppError {
  return new NotLeaderError(why);
}
