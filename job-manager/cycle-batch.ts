import {
  mergeEffects,
  noEffects,
  type CommandOutcome,
  type ControlCommand,
  type ControlIntent,
  type ControlState,
  type Effects,
} from '../core/control-state/index.js';
import { AppError } from '../core/errors/index.js';

/** An intent waiting in the leader's queue, with the promise that answers it. */
export interface Pending {
  readonly intent: ControlIntent;
  resolve(outcome: CommandOutcome): void;
  reject(err: Error): void;
}

/**
 * What one leader cycle collects while it applies commands: the commands to append to the log,
 * their merged effects, for each logged command the range of events it produced (the ranges let
 * the log entries give each event the id a successor replaying the log would give it), and the
 * intents to answer once the commands are durable.
 */
export class CycleBatch {
  readonly fx: Effects = noEffects();
  readonly commands: ControlCommand[] = [];
  /** Per logged command: the range of `fx.events` it produced (for the events' stable ids). */
  readonly produced: [number, number][] = [];
  /** Per intent: its outcome and how many commands were logged up to and including it. */
  private readonly answers: { p: Pending; outcome: CommandOutcome; upTo: number }[] = [];

  /** Applies an intent's command (see {@link apply}); its outcome answers `p` later. */
  applyIntent(state: ControlState, p: Pending, cmd: ControlCommand): void {
    const out = this.apply(state, cmd);
    this.answers.push({ p, outcome: out.outcome, upTo: this.commands.length });
  }

  /**
   * Applies `cmd` to `state` and merges its effects. It is logged when it changed something
   * (its outcome is ok) or when `always` (a round's `place`, logged whatever its outcome).
   * @returns the command's effects, with its outcome
   */
  apply(state: ControlState, cmd: ControlCommand, always = false): Effects {
    const out = state.apply(cmd);
    const from = this.fx.events.length;
    mergeEffects(this.fx, out);
    if (always || out.outcome.ok) {
      this.commands.push(cmd);
      this.produced.push([from, this.fx.events.length]);
    }
    return out;
  }

  /**
   * The answers once the commands are durable, taken now (the next cycle changes the state next).
   * A joining worker's sync is its desired set as of now: it includes what this cycle's round
   * just placed on it (that dispatch may reach the GlobalManager before the join answer).
   */
  settled(state: ControlState): { readonly p: Pending; readonly outcome: CommandOutcome }[] {
    return this.answers.map((a) =>
      a.p.intent.kind === 'worker-joined' && a.outcome.ok
        ? { p: a.p, outcome: { ok: true as const, desired: state.desiredOn(a.p.intent.worker.id) } }
        : { p: a.p, outcome: a.outcome },
    );
  }

  /**
   * Answers the intents after the append failed: those whose commands are in the `persisted`
   * first commands (durable: the next leader replays them) and those that changed nothing are
   * answered with their outcome; the others are refused. Not retried elsewhere: an unanswered
   * write may still have landed.
   */
  failAppend(persisted: number, err: Error): void {
    for (const a of this.answers) {
      if (a.upTo > 0 && a.upTo <= persisted) a.p.resolve(a.outcome);
      else if (!a.outcome.ok) a.p.resolve(a.outcome);
      else a.p.reject(new AppError('STORE_UNAVAILABLE', `the control log refused the write: ${err.message}`));
    }
  }
}
