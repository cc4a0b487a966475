import type { Clock } from '../core/clock/clock.js';
import { Ticker, type TickerState } from '../core/clock/ticker.js';
import type { ServiceLoadSample, ServiceReadySample } from '../core/control-state/control-command.js';
import type { IntentPort } from '../core/control-state/control-intent.js';
import type { Logger } from '../core/log/logger.js';

/** Options of the {@link LoadReporter}. */
export interface LoadReporterOptions {
  /** This gateway's id: the report's `source` (stable for its life, unique in the cluster). */
  readonly source: string;
  /** How often a report is sent. */
  readonly periodMs: number;
}

/** What the reporter reads and sends through. */
export interface LoadReporterDeps {
  /** The gateway's averages since the last call (Gateway.takeLoad). */
  readonly load: () => ServiceLoadSample[];
  /**
   * The replicas the gateway found ready, per service it routes (Gateway.readyReplicas); absent:
   * the reports say nothing about readiness.
   */
  readonly ready?: () => ServiceReadySample[];
  /** The leading JobManager (the control link). */
  readonly control: IntentPort;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Lifecycle: created → running → closing → closed. */
export type LoadReporterState = TickerState;

/**
 * Sends the gateway's load to the leader every period as a `service-load` intent: the averaged
 * requests in flight of every service that had traffic, and the replicas it found ready (the
 * health gate of a rolling replace). A report replaces the previous one from this source, so once
 * traffic stops and no replica is ready one empty report says so, and nothing is sent while it
 * stays quiet (while replicas are ready it reports every period, so its word stays fresh). A report the leader cannot take now is dropped (the next one replaces it anyway).
 */
export class LoadReporter {
  private readonly ticker: Ticker;
  private lastWasEmpty = true;

  constructor(
    private readonly options: LoadReporterOptions,
    private readonly deps: LoadReporterDeps,
  ) {
    this.ticker = new Ticker({
      name: 'LoadReporter',
      periodMs: options.periodMs,
      clock: deps.clock,
      tick: () => this.reportNow(),
      onError: (err) => deps.logger.debug({ err }, 'load report not taken; the next one replaces it'),
    });
  }

  getState(): LoadReporterState {
    return this.ticker.getState();
  }

  /** Starts reporting every period. */
  run(): void {
    this.ticker.run();
  }

  /** Takes the averages and sends them now (unless this and the last report are both empty). */
  async reportNow(): Promise<void> {
    const samples = this.deps.load();
    const ready = this.deps.ready?.();
    const empty = samples.length === 0 && !(ready ?? []).some((r) => r.replicas.length > 0);
    if (empty && this.lastWasEmpty) return;
    this.lastWasEmpty = empty;
    await this.deps.control.propose({
      kind: 'service-load',
      source: this.options.source,
      periodMs: this.options.periodMs,
      samples,
      ...(ready ? { ready } : {}),
    });
  }

  /** Stops reporting and waits for a report in progress. */
  close(): Promise<void> {
    return this.ticker.close();
  }
}
