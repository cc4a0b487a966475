/**
 * Service definitions as the gateway routes by them: asked of the directory at most once per TTL
 * per name (absences too), one question at a time per name, so a burst of requests costs the
 * control plane one round trip.
 */
import type { GatewayService, ReplicaDirectory } from '../core/services/replica-directory.js';
import type { ServicePool } from './service-pool.js';

/** Names remembered at most; past it the oldest answer is forgotten (bounds a spray of unknown names). */
const MAX_REMEMBERED = 10_000;

/** The definitions cache and the pools of the services that exist. */
export class ServiceLookup {
  private readonly answers = new Map<string, { readonly at: number; readonly exists: boolean }>();
  private readonly pending = new Map<string, Promise<ServicePool | undefined>>();
  private readonly live = new Map<string, ServicePool>();

  /**
   * @param now a monotonic clock in ms
   * @param ttlMs how long an answer is trusted
   * @param newPool builds the pool of a service seen for the first time
   */
  constructor(
    private readonly directory: ReplicaDirectory,
    private readonly now: () => number,
    private readonly ttlMs: number,
    private readonly newPool: (service: GatewayService) => ServicePool,
  ) {}

  /** The pool of service `name`, or undefined when there is no such service. */
  get(name: string): Promise<ServicePool | undefined> {
    const answer = this.answers.get(name);
    if (answer && this.now() - answer.at < this.ttlMs) return Promise.resolve(this.live.get(name));
    let p = this.pending.get(name);
    if (!p) {
      p = this.ask(name).finally(() => this.pending.delete(name));
      this.pending.set(name, p);
    }
    return p;
  }

  /** The pools of every service seen and still defined. */
  pools(): ServicePool[] {
    return [...this.live.values()];
  }

  private async ask(name: string): Promise<ServicePool | undefined> {
    let service: GatewayService | undefined;
    try {
      service = await this.directory.service(name);
    } catch (err) {
      // The control plane is away: keep routing a known service on its last definition.
      const known = this.live.get(name);
      if (known) return known;
      throw err;
    }
    this.answers.delete(name); // re-inserted last: the Map's order is the age order
    this.answers.set(name, { at: this.now(), exists: service !== undefined });
    if (this.answers.size > MAX_REMEMBERED) {
      const oldest = this.answers.keys().next().value as string;
      this.answers.delete(oldest);
    }
    let pool = this.live.get(name);
    if (!service) {
      pool?.close();
      this.live.delete(name);
      return undefined;
    }
    if (pool) pool.service = service;
    else this.live.set(name, (pool = this.newPool(service)));
    return pool;
  }
}
