import { reconcileServices, type ControlCommand, type ControlState } from '../core/control-state/index.js';
import type { UnplacedCode } from '../core/scheduler/types.js';
import type { ControlLeaderDeps, ControlLeaderOptions, LeaderStats } from './control-leader-options.js';
import { CycleBatch, type Pending } from './cycle-batch.js';
import type { EndedJobs } from './ended-jobs.js';
import { scheduleRound } from './schedule-round.js';
import { WakeTimer } from './wake-timer.js';

/** What {@link CyclePlanner.plan} made of one cycle, and where its time went. */
export interface PlannedCycle {
  /** The commands to append, their effects, and the answers due once they are durable. */
  readonly logged: CycleBatch;
  /** Applying the intents and reconciling the services they changed, in ms. */
  readonly applyMs: number;
  /** The scheduling round, if one ran, in ms. */
  readonly planMs: number;
}

/**
 * The in-memory half of a leader cycle: applies the cycle's intents, reconciles the services they
 * changed and runs a scheduling round when one is due, all into one {@link CycleBatch}; the leader
 * then appends it and the {@link CycleFinisher} does the rest. It also owns what makes a cycle due
 * besides queued intents (a round wanted, a service's or a never-fitting job's wake-up), which is
 * planning state, so the leader keeps only its queue, its log position and its lifecycle.
 */
export class CyclePlanner {
  /** A scheduling round is wanted (a nudge, a takeover, capacity or jobs a round has not seen). */
  dirty = false;
  private round = 0;
  /** A services' reconcile wake-up: kicks a cycle at the time a reconcile asked to look again. */
  private readonly wake: WakeTimer;
  /** When a job whose "can never fit" waits out the settle delay is judged: a round then. */
  private readonly judgeWake: WakeTimer;

  /**
   * @param ended the leader's ended jobs: those a cycle ends are added, a `forget-ended` intent
   *   trims them
   * @param stats the leader's stats (`rounds` is counted here; the leader adds the times once
   *   the cycle is durable)
   * @param leading whether the leader still leads: wake-ups are armed only then
   * @param kick asks the leader for a cycle (a wake-up fired)
   */
  constructor(
    private readonly options: ControlLeaderOptions,
    private readonly deps: Pick<ControlLeaderDeps, 'clock' | 'onRound'>,
    private readonly ended: EndedJobs,
    private readonly stats: LeaderStats,
    private readonly leading: () => boolean,
    kick: () => void,
  ) {
    this.wake = new WakeTimer(kick);
    this.judgeWake = new WakeTimer(() => {
      this.dirty = true;
      kick();
    });
  }

  /** Whether a cycle has work besides queued intents: a round wanted, or a wake-up fired. */
  get due(): boolean {
    return this.dirty || this.wake.due;
  }

  /** Cancels the wake-ups (the leader is closing). */
  close(): void {
    this.wake.clear();
    this.judgeWake.clear();
  }

  /**
   * Applies `batch` (one at a time, in order) to `state` at time `at`, then the services'
   * reconcile, then a scheduling round if one is wanted or the commands asked for one; the jobs
   * this ended are kept for reads.
   */
  plan(state: ControlState, batch: readonly Pending[], at: number): PlannedCycle {
    const t0 = performance.now();
    const logged = new CycleBatch();
    const { fx } = logged;
    for (const p of batch) {
      const cmd = { ...p.intent, at } as ControlCommand;
      if (cmd.kind === 'forget-ended') this.ended.forget(cmd.before);
      logged.applyIntent(state, p, cmd);
    }
    // Services whose replicas or definition changed: start or stop replicas to match, as
    // ordinary logged commands (a standby replaying the log never reconciles itself).
    this.wake.due = false;
    const services = state.services.takeDirty(at);
    if (services.length > 0) {
      for (const cmd of reconcileServices(state, services, at)) logged.apply(state, cmd);
    }
    // Kicks a cycle at the next time a service's reconcile asked for (replaces any earlier one).
    const nextWake = state.services.nextWake();
    this.wake.arm(this.leading() ? nextWake : undefined, () => this.deps.clock.now());
    const t1 = performance.now();
    if (this.dirty || fx.schedule) {
      this.dirty = false;
      const round = ++this.round;
      const unplaced: UnplacedCode[] = [];
      const onUnplaced = this.deps.onRound ? (code: UnplacedCode) => unplaced.push(code) : undefined;
      const { placed, placements, judgeAt } = scheduleRound(
        state,
        at,
        round,
        {
          defaultStrategy: this.options.defaultStrategy,
          agingPerSecond: this.options.agingPerSecond,
          maxJobs: this.options.maxJobsPerRound ?? 5000,
          startBackoff: this.options.startBackoff,
          neverFitsSettleMs: this.options.neverFitsSettleMs,
          neverFits: this.options.neverFits,
        },
        logged,
        onUnplaced,
      );
      this.judgeWake.arm(this.leading() ? judgeAt : undefined, () => this.deps.clock.now());
      this.stats.rounds++;
      this.deps.onRound?.({ seconds: (performance.now() - t1) / 1000, placements, unplaced });
      // Capacity a round could not use stays free; only new events ask for another round.
      if (placed) fx.schedule = false;
    }
    const planMs = performance.now() - t1;
    // Ended jobs left the state just now: reads find them here until their history is written.
    for (const j of fx.endedJobs) this.ended.add(j);
    return { logged, applyMs: t1 - t0, planMs };
  }
}
