import type { Clock } from '../core/clock/clock.js';
import { Ticker, type TickerState } from '../core/clock/ticker.js';
import { autoscaleInputOf, type ControlState, type IntentPort } from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import { decideAutoscale, type AutoscaleDecision } from '../core/services/autoscale.js';

/** Options of the {@link Autoscaler}. */
export interface AutoscalerOptions {
  /**
   * How often the leader's state is looked at. Each service decides once per its own `periodMs`,
   * so this only bounds how late a decision (or a preemption) comes. @defaultValue 250
   */
  readonly tickMs?: number;
  /** Global cap on the sum of desired replicas over every service (`services.maxReplicas`). */
  readonly maxReplicas: number;
}

/** What the autoscaler reads and writes through: the leader in this process. */
export interface AutoscalerDeps {
  /** The leader's state (undefined unless leading) and its intent port. */
  readonly leader: IntentPort & { view(): ControlState | undefined };
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Lifecycle: created → running → closing → closed. */
export type AutoscalerState = TickerState;

/**
 * The autoscaler (docs/design/services.md, "The autoscaler's control law"): runs next to the
 * JobManager, and every tick, only while that JobManager leads, reads its state, runs the pure
 * control law (core/services/autoscale.ts) and proposes each decision as a `service-autoscale`
 * intent, which the leader logs and applies in order like any other (a decision made on a count
 * that changed meanwhile is refused and made again next tick). A standby computes nothing; a new
 * leader goes on from the law's memory in the replayed state.
 */
export class Autoscaler {
  private readonly ticker: Ticker;

  private constructor(
    private readonly options: Required<AutoscalerOptions>,
    private readonly deps: AutoscalerDeps,
  ) {
    this.ticker = new Ticker({
      name: 'Autoscaler',
      periodMs: options.tickMs,
      clock: deps.clock,
      tick: () => this.tick(),
      // A leader stepping down mid-tick refuses the intents: the next tick (or leader) goes again.
      onError: (err) => deps.logger.warn({ err }, 'autoscale tick failed'),
    });
  }

  /** Checks the options; call {@link run} to start ticking. */
  static create(options: AutoscalerOptions, deps: AutoscalerDeps): Autoscaler {
    const o = { tickMs: 250, ...options };
    if (!Number.isInteger(o.maxReplicas) || o.maxReplicas < 0)
      throw new Error(`Autoscaler: maxReplicas must be an integer >= 0, got ${o.maxReplicas}`);
    return new Autoscaler(o, deps);
  }

  getState(): AutoscalerState {
    return this.ticker.getState();
  }

  run(): void {
    this.ticker.run();
  }

  /**
   * One tick now: the decisions proposed (each answered once durable, or refused). Empty when
   * this JobManager does not lead.
   */
  async tick(): Promise<AutoscaleDecision[]> {
    const view = this.deps.leader.view();
    if (!view) return [];
    const decisions = decideAutoscale(
      autoscaleInputOf(view, this.deps.clock.now(), this.options.maxReplicas),
    );
    await Promise.all(
      decisions.map(async (d) => {
        const out = await this.deps.leader.propose({ kind: 'service-autoscale', ...d });
        if (!out.ok)
          this.deps.logger.debug({ decision: d, reason: out.reason }, 'autoscale decision refused');
        else if (d.desired !== d.from)
          this.deps.logger.info(
            { service: d.name, from: d.from, to: d.desired, load: d.load, reason: d.reason },
            'autoscaled',
          );
      }),
    );
    return decisions;
  }

  /** Stops ticking and waits for a tick in progress. */
  close(): Promise<void> {
    return this.ticker.close();
  }
}
