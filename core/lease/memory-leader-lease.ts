import type { Clock } from '../clock/clock.js';
import {
  outranks,
  resolveLeaseOptions,
  type CampaignResult,
  type LeaderLease,
  type LeaseCandidate,
  type LeaseHolder,
  type LeaseOptions,
  type ResolvedLeaseOptions,
} from './leader-lease.js';

/**
 * How a partitioned candidate fails to reach the store: `reject` like a closed connection,
 * `hang` like a silent network (calls stay pending until {@link MemoryLeaseBackend.heal}).
 */
export type PartitionMode = 'reject' | 'hang';

interface Held extends LeaseHolder {
  /** Clock time at which the lease lapses (expired when `now >= expiresAt`). */
  expiresAt: number;
}

interface Subscriber {
  readonly id: string;
  readonly listeners: Set<() => void>;
}

/**
 * An in-memory stand-in for the Redis behind {@link LeaderLease}: one instance is one lease
 * shared by every candidate made from it, with the same semantics as the Redis scripts
 * (lease-scripts.ts), and time read from the injected {@link Clock} where Redis reads `TIME`.
 * Component tests drive it with a FakeClock, and cut candidates off with {@link partition}.
 */
export class MemoryLeaseBackend {
  #holder: Held | undefined;
  /** The last token issued. */
  #epoch = 0;
  /** Registered candidates with the clock time their candidacy lapses. */
  readonly #candidates = new Map<string, { valor: number; deadline: number }>();
  readonly #subscribers = new Set<Subscriber>();
  readonly #partitions = new Map<string, PartitionMode>();
  /** Rejections of calls hanging in a `hang` partition, by candidate id. */
  readonly #hung = new Map<string, ((err: Error) => void)[]>();

  constructor(private readonly clock: Clock) {}

  /** A handle on this lease for one candidate. */
  lease(opts: LeaseOptions): LeaderLease {
    const settings = resolveLeaseOptions(opts);
    const { id } = settings.candidate;
    const subscriber: Subscriber = { id, listeners: new Set() };
    this.#subscribers.add(subscriber);
    let closed = false;
    const call = <T>(op: () => T): Promise<T> =>
      closed ? Promise.reject(new Error('leader lease is closed')) : this.#reach(id, op);
    return {
      candidate: settings.candidate,
      ttlMs: settings.ttlMs,
      campaign: () => call(() => this.#campaign(settings)),
      renew: (token) => call(() => this.#renew(settings, token)),
      release: (token) => call(() => this.#release(settings, token)),
      current: () => call(() => this.#current()),
      onReleased: (listener) => {
        subscriber.listeners.add(listener);
        return () => subscriber.listeners.delete(listener);
      },
      close: () => {
        closed = true;
        this.#subscribers.delete(subscriber);
        return Promise.resolve();
      },
    };
  }

  /** Cuts candidate `id` off the store until {@link heal}: its calls fail or hang. */
  partition(id: string, mode: PartitionMode = 'reject'): void {
    this.#partitions.set(id, mode);
  }

  /** Reconnects candidate `id`; calls left hanging reject, as on a reset connection. */
  heal(id: string): void {
    this.#partitions.delete(id);
    const hung = this.#hung.get(id) ?? [];
    this.#hung.delete(id);
    for (const reject of hung) reject(new Error(`connection of ${id} to the lease store was reset`));
  }

  /** Drops the lease at once, as if its key expired early or an operator deleted it. */
  expire(): void {
    this.#holder = undefined;
  }

  #reach<T>(id: string, op: () => T): Promise<T> {
    const mode = this.#partitions.get(id);
    if (mode === 'reject') return Promise.reject(new Error(`lease store unreachable from ${id}`));
    if (mode === 'hang') {
      return new Promise<T>((_, reject) => {
        const list = this.#hung.get(id) ?? [];
        list.push(reject);
        this.#hung.set(id, list);
      });
    }
    try {
      return Promise.resolve(op());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #liveHolder(now: number): Held | undefined {
    if (this.#holder && now >= this.#holder.expiresAt) this.#holder = undefined;
    return this.#holder;
  }

  #register(s: ResolvedLeaseOptions, now: number): void {
    this.#candidates.set(s.candidate.id, { valor: s.candidate.valor, deadline: now + s.candidacyMs });
  }

  #campaign(s: ResolvedLeaseOptions): CampaignResult {
    const now = this.clock.now();
    const { id, valor } = s.candidate;
    this.#register(s, now);
    for (const [cid, c] of this.#candidates) if (c.deadline <= now) this.#candidates.delete(cid);
    const holder = this.#liveHolder(now);
    if (holder?.id === id) {
      holder.expiresAt = now + s.ttlMs;
      return { outcome: 'held', token: holder.token };
    }
    if (holder)
      return { outcome: 'taken', leader: { id: holder.id, valor: holder.valor, token: holder.token } };
    let preferred: LeaseCandidate = s.candidate;
    for (const [cid, c] of this.#candidates) {
      const other = { id: cid, valor: c.valor };
      if (outranks(other, preferred)) preferred = other;
    }
    if (preferred.id !== id) return { outcome: 'deferred', preferred };
    this.#epoch += 1;
    this.#holder = { id, valor, token: this.#epoch, expiresAt: now + s.ttlMs };
    return { outcome: 'held', token: this.#epoch };
  }

  #renew(s: ResolvedLeaseOptions, token: number): boolean {
    const now = this.clock.now();
    const holder = this.#liveHolder(now);
    if (holder?.id !== s.candidate.id || holder.token !== token) return false;
    holder.expiresAt = now + s.ttlMs;
    this.#register(s, now);
    return true;
  }

  #release(s: ResolvedLeaseOptions, token: number | undefined): boolean {
    const { id } = s.candidate;
    this.#candidates.delete(id);
    const holder = this.#liveHolder(this.clock.now());
    if (token === undefined || holder?.id !== id || holder.token !== token) return false;
    this.#holder = undefined;
    // Like Redis pub/sub: delivered later, and not to candidates cut off from the store.
    for (const sub of this.#subscribers) {
      if (this.#partitions.has(sub.id)) continue;
      for (const listener of sub.listeners) queueMicrotask(listener);
    }
    return true;
  }

  #current(): LeaseHolder | undefined {
    const holder = this.#liveHolder(this.clock.now());
    return holder && { id: holder.id, valor: holder.valor, token: holder.token };
  }
}
