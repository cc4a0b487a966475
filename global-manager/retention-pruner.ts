import type { Clock } from '../core/clock/clock.js';
import {
  pruneExpired,
  retentionCutoffs,
  type PruneCounts,
  type RetentionPolicy,
} from '../core/control/index.js';
import type { ControlLink } from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import type { Stores } from '../core/store/store-ports.js';

/** Options of the pruner: the retention policy and how often to apply it (0 disables the timer). */
export interface RetentionPrunerOptions extends RetentionPolicy {
  readonly pruneIntervalMs: number;
}

/** Lifecycle: created → running → closing → closed. */
export type RetentionPrunerState = 'created' | 'running' | 'closing' | 'closed';

/**
 * Deletes ended jobs, usage samples, events and stale component announcements once they are
 * past retention, every `pruneIntervalMs`. It runs with the GlobalManager, which already owns the
 * other time-driven sweeps; passes are idempotent, so two GlobalManagers (or a manual
 * {@link pruneNow}) running at once delete nothing twice and nothing they should not.
 * Containers and networks are not its business: workers remove those as soon as a task's end is
 * acknowledged (docs/design/worker.md, Pruning).
 */
export class RetentionPruner {
  private state: RetentionPrunerState = 'created';
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: RetentionPrunerOptions,
    private readonly deps: {
      readonly stores: Stores;
      readonly clock: Clock;
      readonly logger: Logger;
      /** The leader, told to forget the names of the jobs deleted here (they may be reused). */
      readonly control?: ControlLink;
    },
  ) {}

  getState(): RetentionPrunerState {
    return this.state;
  }

  /** Starts the timer; the first pass runs after one interval. */
  run(): void {
    if (this.state !== 'created') throw new Error(`RetentionPruner.run in state ${this.state}`);
    this.state = 'running';
    if (this.options.pruneIntervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.pass = this.pruneNow().catch((err: unknown) =>
        this.deps.logger.error({ err }, 'retention pass failed; the next one retries'),
      );
    }, this.options.pruneIntervalMs);
  }

  /** One pass now, serialised after any pass in progress. */
  pruneNow(): Promise<PruneCounts> {
    const next = this.pass.then(async () => {
      const now = this.deps.clock.now();
      // The leader forgets first: a name it still holds stays taken even once its record is gone.
      await this.deps.control
        ?.propose({ kind: 'forget-ended', before: retentionCutoffs(now, this.options).jobsBefore })
        .catch((err: unknown) =>
          this.deps.logger.warn({ err }, 'the leader did not forget ended jobs; retried next pass'),
        );
      const counts = await pruneExpired(this.deps.stores, now, this.options);
      if (counts.jobs + counts.usageSamples + counts.events + counts.components > 0)
        this.deps.logger.info(counts, 'pruned records past retention');
      return counts;
    });
    this.pass = next.catch(() => undefined);
    return next;
  }

  /** Stops the timer and waits for a pass in progress. */
  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    if (this.timer) clearInterval(this.timer);
    await this.pass.catch(() => undefined);
    this.state = 'closed';
  }
}
