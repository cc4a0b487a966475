/**
 * One service's replicas as the gateway routes to them: their health, requests in flight, last
 * request, keep-alive agent, and the bounded queue of requests waiting for a slot.
 */
import { Agent } from 'node:http';
import type { GatewayReplica, GatewayService } from '../core/services/replica-directory.js';
import { ReplicaHealth } from './health-tiers.js';

/** A replica the gateway knows an address for. */
export interface TrackedReplica {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly health: ReplicaHealth;
  /** Requests holding a slot on it now. */
  inFlight: number;
  /** Monotonic ms of its last request's end (or of when it was first seen). */
  lastRequestAt: number;
  /** A probe passed since it was first seen: only then is it routed to. */
  ready: boolean;
  /** Keep-alive connections to it, reused across requests. */
  readonly agent: Agent;
}

/** Why {@link ServicePool.acquire} gave no replica. */
export type AcquireRefusal = 'none' | 'queue-full' | 'timeout' | 'closed';

interface Waiter {
  readonly exclude: ReadonlySet<string>;
  readonly settle: (r: TrackedReplica | AcquireRefusal) => void;
}

/** Parses `host:port` (IPv6 in brackets); undefined when it is not one. */
function parseAddress(address: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65_536 ? { host: m[1] as string, port } : undefined;
}

/** The replicas of one service and the queue in front of them. */
export class ServicePool {
  /** Tracked replicas by id: the directory's running replicas with an address. */
  readonly replicas = new Map<string, TrackedReplica>();
  /** The directory's last full listing (waiting and starting replicas too). */
  listing: readonly GatewayReplica[] = [];
  /** The cold start in progress, shared by every cold request (single-flight). */
  warming: Promise<void> | undefined;
  private readonly queue: Waiter[] = [];

  constructor(
    public service: GatewayService,
    private readonly maxInFlight: number,
    private readonly maxQueueLength: number,
  ) {}

  /** Replaces the listing; tracks new running replicas, forgets those gone. */
  sync(listing: readonly GatewayReplica[], now: number): void {
    this.listing = listing;
    const running = new Map<string, { host: string; port: number }>();
    for (const r of listing) {
      const addr = r.state === 'running' && r.address ? parseAddress(r.address) : undefined;
      if (addr) running.set(r.id, addr);
    }
    for (const [id, t] of this.replicas) {
      const addr = running.get(id);
      if (!addr || addr.host !== t.host || addr.port !== t.port) this.forget(id);
    }
    for (const [id, addr] of running) {
      if (this.replicas.has(id)) continue;
      this.replicas.set(id, {
        id,
        ...addr,
        health: new ReplicaHealth(),
        inFlight: 0,
        lastRequestAt: now,
        ready: false,
        // One pool of sockets per replica: a replica's sockets never serve another after it ends.
        agent: new Agent({ keepAlive: true, maxSockets: this.maxInFlight }),
      });
    }
    this.drain();
  }

  /** Stops tracking `id` and closes its idle connections. */
  forget(id: string): void {
    this.replicas.get(id)?.agent.destroy();
    this.replicas.delete(id);
  }

  /** True when some replica is ready and not ejected, whether or not it has room. */
  hasRoutable(): boolean {
    for (const r of this.replicas.values()) if (this.routable(r)) return true;
    return false;
  }

  /** Tracked replicas a readiness probe could bring into service. */
  unready(): TrackedReplica[] {
    return [...this.replicas.values()].filter((r) => !this.routable(r));
  }

  /**
   * Takes a slot on a replica: at once when one has room, else after waiting in the bounded
   * queue. `'none'`: no routable replica at all (the caller starts one).
   */
  acquire(
    exclude: ReadonlySet<string>,
    wait: (signal: AbortSignal) => Promise<void>,
  ): Promise<TrackedReplica | AcquireRefusal> {
    if (!this.hasRoutable()) return Promise.resolve('none');
    const now = this.tryAcquire(exclude);
    if (now) return Promise.resolve(now);
    if (this.queue.length >= this.maxQueueLength) return Promise.resolve('queue-full');
    return new Promise((resolve) => {
      const timeout = new AbortController();
      const waiter: Waiter = {
        exclude,
        settle: (r) => {
          timeout.abort();
          resolve(r);
        },
      };
      this.queue.push(waiter);
      wait(timeout.signal).then(
        () => this.dropWaiter(waiter, 'timeout'),
        () => undefined, // aborted: already settled
      );
    });
  }

  /** Takes a slot on a routable replica with room now, or gives undefined; never waits. */
  tryAcquire(exclude: ReadonlySet<string>): TrackedReplica | undefined {
    const r = this.pick(exclude);
    return r ? this.take(r) : undefined;
  }

  /** Gives a slot back and hands it to the oldest waiter that can use it. */
  release(replica: TrackedReplica, now: number): void {
    replica.inFlight--;
    replica.lastRequestAt = now;
    this.drain();
  }

  /** Serves waiters while replicas have room; with no routable replica left, sends them to a cold start. */
  drain(): void {
    for (let i = 0; i < this.queue.length;) {
      const w = this.queue[i] as Waiter;
      if (!this.hasRoutable()) {
        this.queue.splice(i, 1);
        w.settle('none');
        continue;
      }
      const r = this.pick(w.exclude);
      if (!r) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      w.settle(this.take(r));
    }
  }

  /** Refuses every waiter and closes every connection (the gateway is closing). */
  close(): void {
    for (const w of this.queue.splice(0)) w.settle('closed');
    for (const id of [...this.replicas.keys()]) this.forget(id);
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  private routable(r: TrackedReplica): boolean {
    return r.ready && r.health.tier !== 'ejected';
  }

  /**
   * Two random choices among the healthy replicas with room (degraded ones only when no healthy
   * one has room), then the one with fewer requests in flight: near-best balance without
   * scanning or locking a global order on the hot path.
   */
  private pick(exclude: ReadonlySet<string>): TrackedReplica | undefined {
    const healthy: TrackedReplica[] = [];
    const degraded: TrackedReplica[] = [];
    for (const r of this.replicas.values()) {
      if (!this.routable(r) || r.inFlight >= this.maxInFlight || exclude.has(r.id)) continue;
      (r.health.tier === 'healthy' ? healthy : degraded).push(r);
    }
    const from = healthy.length > 0 ? healthy : degraded;
    if (from.length <= 1) return from[0];
    const a = from[Math.floor(Math.random() * from.length)] as TrackedReplica;
    const b = from[Math.floor(Math.random() * from.length)] as TrackedReplica;
    return b.inFlight < a.inFlight ? b : a;
  }

  private take(r: TrackedReplica): TrackedReplica {
    r.inFlight++;
    return r;
  }

  private dropWaiter(w: Waiter, why: AcquireRefusal): void {
    const i = this.queue.indexOf(w);
    if (i < 0) return;
    this.queue.splice(i, 1);
    w.settle(why);
  }
}
