import { SLEEP_CANCELLED, type Clock } from './clock.js';

/** Lifecycle of a {@link Ticker} (and of the components built on one): created → running → closing → closed. */
export type TickerState = 'created' | 'running' | 'closing' | 'closed';

/** What a {@link Ticker} runs. */
export interface TickerSpec {
  /** Who ticks, for error messages ("Autoscaler", "LoadReporter"). */
  readonly name: string;
  /** Wait between the end of one tick and the start of the next. */
  readonly periodMs: number;
  readonly clock: Clock;
  /** The work of one tick. */
  readonly tick: () => Promise<unknown>;
  /**
   * Called with a tick's failure. The loop goes on: a periodic component's next tick is its retry
   * (a leader stepping down mid-tick, a report refused), so one failure must not end it.
   */
  readonly onError: (err: unknown) => void;
}

/**
 * A periodic loop on the clock port: sleep a period, tick, repeat, until closed. Ticks never
 * overlap (the next sleep starts when a tick ends), and {@link close} waits for a tick in
 * progress, so a closed component has no work left running. Sleeping first means the first tick
 * comes one period after {@link run}, which every user wants (nothing has happened yet).
 */
export class Ticker {
  private state: TickerState = 'created';
  private readonly stopping = new AbortController();
  private loop: Promise<void> = Promise.resolve();

  /** @throws Error when `periodMs` is not a positive number */
  constructor(private readonly spec: TickerSpec) {
    if (!(spec.periodMs > 0)) throw new Error(`${spec.name}: period must be > 0 ms, got ${spec.periodMs}`);
  }

  getState(): TickerState {
    return this.state;
  }

  /** Aborted when closing starts, so a long tick (a read with its own timeout) can stop waiting. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** Starts ticking; once only. */
  run(): void {
    if (this.state !== 'created') throw new Error(`${this.spec.name}.run in state ${this.state}`);
    this.state = 'running';
    this.loop = this.ticks();
  }

  /** Stops ticking and waits for a tick in progress. Idempotent; a ticker never run closes at once. */
  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.stopping.abort(SLEEP_CANCELLED);
    await this.loop;
    this.state = 'closed';
  }

  private async ticks(): Promise<void> {
    while (this.state === 'running') {
      try {
        await this.spec.clock.sleep(this.spec.periodMs, this.stopping.signal);
      } catch {
        return; // closing
      }
      await this.spec.tick().catch(this.spec.onError);
    }
  }
}
