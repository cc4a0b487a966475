import { systemClock, type Clock } from '../clock/clock.js';
import { componentLogger, createLogger, type Logger } from '../log/logger.js';
import type { CampaignResult, LeaderLease } from './leader-lease.js';

/** Options of {@link LeaseKeeper}. All durations in ms. */
export interface LeaseKeeperOptions {
  /** The lease to campaign for; its creator closes it, after the keeper. */
  readonly lease: LeaderLease;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** @defaultValue an `info` logger on stdout */
  readonly logger?: Logger;
  /**
   * Time between renewals while leading. Three renewals per TTL let one fail without losing
   * the lease.
   * @defaultValue a third of the lease TTL
   */
  readonly renewIntervalMs?: number;
  /**
   * Time between campaigns while standing by. A graceful release wakes standbys at once; this
   * bounds how long a crashed leader's lease sits expired before someone takes it.
   * @defaultValue a third of the lease TTL
   */
  readonly pollIntervalMs?: number;
  /**
   * How much sooner than the lease's TTL the keeper stops trusting it. Covers clock-rate drift
   * between this host and Redis and the time a write takes to land after `isLeader()` said yes.
   * @defaultValue a tenth of the lease TTL
   */
  readonly safetyMarginMs?: number;
}

/**
 * Lifecycle: `created` → (`run()`) `running` → (`close()`) `closing` → `closed`. Leadership is
 * separate and only possible while `running`: see {@link LeaseKeeper.isLeader}.
 */
export type LeaseKeeperState = 'created' | 'running' | 'closing' | 'closed';

/**
 * Why a leader stopped leading:
 * - `expired`: no renewal succeeded in time (Redis unreachable or slow), so the local validity
 *   deadline passed; the lease may still exist in Redis for a little while, but not for long;
 * - `lost`: a renewal was refused: the lease expired in Redis, or was taken or deleted;
 * - `closed`: `close()` stepped down.
 */
export type DeposeReason = 'expired' | 'lost' | 'closed';

/** The events of a {@link LeaseKeeper} and their listeners. */
export interface LeaseKeeperEvents {
  /** This process leads from now on, and stamps its writes with `token`. */
  readonly elected: (token: number) => void;
  /** This process stopped leading (already: `isLeader()` is false when this runs). */
  readonly deposed: (reason: DeposeReason, token: number) => void;
}

/** One term of leadership: the token and until when it may be trusted (clock time). */
interface Term {
  readonly token: number;
  validUntil: number;
  /** Whether `elected` was emitted (not when `close()` began during the winning campaign). */
  announced: boolean;
}

/**
 * Keeps one process's candidacy for a {@link LeaderLease}: campaigns every poll interval while
 * standing by (and at once when the leader releases), renews every renew interval while leading.
 *
 * The leader stops the moment it cannot prove it still holds the lease: it counts itself leader
 * only until `validUntil = start of the last successful renewal (or campaign) + TTL - safety
 * margin`. Redis measures the TTL from when it ran the script, which is after that start, so
 * this deadline always falls before Redis lets the lease go, even when Redis is unreachable or a
 * renewal hangs. The fencing token guards what is left: the gap between `isLeader()` and a write.
 *
 * A leader keeps the lease while it renews, even when a candidate of higher valor appears:
 * valor only decides who takes a free lease. `close()` hands over at once: it emits `deposed`
 * first (stop writing), then releases the lease, which wakes the standbys.
 *
 * Errors of the lease are logged, never thrown from timers; listener errors are logged too.
 */
export class LeaseKeeper {
  readonly #lease: LeaderLease;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #renewIntervalMs: number;
  readonly #pollIntervalMs: number;
  readonly #safetyMarginMs: number;
  readonly #listeners: { [E in keyof LeaseKeeperEvents]: Set<LeaseKeeperEvents[E]> } = {
    elected: new Set(),
    deposed: new Set(),
  };
  #state: LeaseKeeperState = 'created';
  #term: Term | undefined;
  /** The campaign or renewal in flight, if any. */
  #step: Promise<void> = Promise.resolve();
  #loop: Promise<void> = Promise.resolve();
  /** Ends the loop's current wait early: on a release notification, and on close. */
  #wake: AbortController | undefined;
  /** A release was announced while no wait was in progress: skip the next wait. */
  #woken = false;
  #watch: AbortController | undefined;
  #watching: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /** @throws Error when the intervals cannot keep the lease (renewal after the deadline). */
  constructor(opts: LeaseKeeperOptions) {
    const ttl = opts.lease.ttlMs;
    this.#lease = opts.lease;
    this.#clock = opts.clock ?? systemClock;
    this.#logger = componentLogger(opts.logger ?? createLogger('info'), 'lease-keeper', {
      candidate: opts.lease.candidate.id,
    });
    this.#renewIntervalMs = opts.renewIntervalMs ?? Math.floor(ttl / 3);
    this.#pollIntervalMs = opts.pollIntervalMs ?? Math.floor(ttl / 3);
    this.#safetyMarginMs = opts.safetyMarginMs ?? Math.ceil(ttl / 10);
    if (!(this.#safetyMarginMs >= 0 && this.#safetyMarginMs < ttl))
      throw new Error(`safetyMarginMs must be in [0, ttlMs), got ${this.#safetyMarginMs}`);
    if (!(this.#renewIntervalMs > 0 && this.#renewIntervalMs < ttl - this.#safetyMarginMs))
      throw new Error(
        `renewIntervalMs must be in (0, ttlMs - safetyMarginMs) = (0, ${ttl - this.#safetyMarginMs}), got ${this.#renewIntervalMs}`,
      );
    if (!(this.#pollIntervalMs > 0))
      throw new Error(`pollIntervalMs must be > 0, got ${this.#pollIntervalMs}`);
  }

  getState(): LeaseKeeperState {
    return this.#state;
  }

  /** True while running and the current term's validity deadline has not passed. */
  isLeader(): boolean {
    return this.#state === 'running' && this.#term !== undefined && this.#clock.now() < this.#term.validUntil;
  }

  /** The fencing token of the current term while {@link isLeader}, else undefined. */
  get token(): number | undefined {
    return this.isLeader() ? this.#term?.token : undefined;
  }

  /** Clock time until which this process may act as leader, while {@link isLeader}. */
  get validUntil(): number | undefined {
    return this.isLeader() ? this.#term?.validUntil : undefined;
  }

  /**
   * Adds a listener; listeners run synchronously, in the keeper's own callbacks.
   * @returns a function that removes it.
   */
  on<E extends keyof LeaseKeeperEvents>(event: E, listener: LeaseKeeperEvents[E]): () => void {
    const set = this.#listeners[event] as Set<LeaseKeeperEvents[E]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Campaigns once (awaited, so the caller knows whether it leads), then keeps at it. */
  async run(): Promise<void> {
    if (this.#state !== 'created') throw new Error(`LeaseKeeper.run in state ${this.#state}`);
    this.#state = 'running';
    this.#unsubscribe = this.#lease.onReleased(() => {
      if (this.#term) return;
      this.#woken = true;
      this.#wake?.abort();
    });
    this.#step = this.#stepOnce();
    await this.#step;
    if (this.#state === 'running') this.#loop = this.#runLoop();
  }

  /**
   * Stops campaigning and renewing, waits for a call in flight, then, if leading, emits
   * `deposed('closed')` and releases the lease so a standby takes over at once. Always
   * withdraws the candidacy. Does not close the lease itself.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasRunning = this.#state === 'running';
    this.#state = 'closing';
    this.#unsubscribe?.();
    this.#wake?.abort();
    await this.#loop;
    await this.#step;
    const term = this.#term;
    this.#term = undefined;
    this.#watch?.abort();
    await this.#watching;
    if (term?.announced) this.#emit('deposed', 'closed', term.token);
    if (wasRunning) {
      try {
        // The token even past validUntil: the lease may still be ours in Redis, and freeing it
        // now spares the standbys the rest of its TTL. Release deletes only if still ours.
        await this.#lease.release(term?.token);
      } catch (err) {
        this.#logger.warn({ err }, 'could not release the lease; it lapses after its TTL');
      }
    }
    this.#state = 'closed';
  }

  async #runLoop(): Promise<void> {
    while (this.#state === 'running') {
      if (!this.#woken) {
        const wake = new AbortController();
        this.#wake = wake;
        const waitMs = this.#term ? this.#renewIntervalMs : this.#pollIntervalMs;
        await this.#clock.sleep(waitMs, wake.signal).catch(() => undefined);
      }
      this.#woken = false;
      if (this.#state !== 'running') return;
      this.#step = this.#stepOnce();
      await this.#step;
    }
  }

  /** One campaign or renewal; never rejects. */
  async #stepOnce(): Promise<void> {
    try {
      if (this.#term) await this.#renew(this.#term);
      else await this.#campaign();
    } catch (err) {
      this.#logger.error({ err }, 'lease keeper step failed');
    }
  }

  async #campaign(): Promise<void> {
    const started = this.#clock.now();
    let result: CampaignResult;
    try {
      result = await this.#lease.campaign();
    } catch (err) {
      this.#logger.warn({ err }, 'campaign failed; retrying at the next poll');
      return;
    }
    if (result.outcome !== 'held') return;
    const term: Term = { token: result.token, validUntil: this.#deadline(started), announced: false };
    if (this.#clock.now() >= term.validUntil) {
      // Won, but the answer took so long that the lease cannot be trusted; the next campaign
      // adopts it again with a fresh deadline.
      this.#logger.warn({ token: term.token }, 'lease acquired too late to use');
      return;
    }
    this.#term = term;
    if (this.#state !== 'running') return; // close() releases it
    term.announced = true;
    this.#watch = new AbortController();
    this.#watching = this.#watchDeadline(term, this.#watch.signal);
    this.#logger.info({ token: term.token }, 'elected leader');
    this.#emit('elected', term.token);
  }

  async #renew(term: Term): Promise<void> {
    const started = this.#clock.now();
    let renewed: boolean;
    try {
      renewed = await this.#lease.renew(term.token);
    } catch (err) {
      this.#logger.warn({ err, validUntil: term.validUntil }, 'lease renewal failed; retrying');
      return;
    }
    // Deposed while the call was in flight: the next campaign sorts out where we stand.
    if (this.#term !== term) return;
    if (!renewed) {
      this.#depose('lost');
      return;
    }
    term.validUntil = Math.max(term.validUntil, this.#deadline(started));
  }

  #deadline(callStartedAt: number): number {
    return callStartedAt + this.#lease.ttlMs - this.#safetyMarginMs;
  }

  /** Deposes the term when its deadline passes without a renewal; re-sleeps when extended. */
  async #watchDeadline(term: Term, signal: AbortSignal): Promise<void> {
    while (this.#term === term && !signal.aborted) {
      const left = term.validUntil - this.#clock.now();
      if (left <= 0) {
        this.#depose('expired');
        return;
      }
      try {
        await this.#clock.sleep(left, signal);
      } catch {
        return; // aborted: deposed or closing
      }
    }
  }

  #depose(reason: DeposeReason): void {
    const term = this.#term;
    if (!term) return;
    this.#term = undefined;
    this.#watch?.abort();
    this.#logger.warn({ token: term.token, reason }, 'no longer leader');
    if (term.announced) this.#emit('deposed', reason, term.token);
  }

  #emit<E extends keyof LeaseKeeperEvents>(event: E, ...args: Parameters<LeaseKeeperEvents[E]>): void {
    for (const listener of this.#listeners[event]) {
      try {
        (listener as (...a: Parameters<LeaseKeeperEvents[E]>) => void)(...args);
      } catch (err) {
        this.#logger.error({ err, event }, 'lease keeper listener threw');
      }
    }
  }
}
