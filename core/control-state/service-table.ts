import type { ServiceRecord } from '../services/service-model.js';

/**
 * The services part of the control state: each service's record and the names of its live
 * replica jobs (an index kept by {@link ControlState.putJob}, so reconciling a service costs its
 * replicas, not every live job). `dirty` says a reconcile may have something to do: a service
 * changed, or one of its replicas did (started, ended, began running).
 */
export class ServiceTable {
  private readonly records = new Map<string, ServiceRecord>();
  private readonly replicas = new Map<string, Set<string>>();
  private dirtyNames = new Set<string>();
  /**
   * When a service's reconcile should look again though nothing changed (a rolling replace waits
   * for a grace period or for a stale gateway report): the leader's own memory, not control state.
   */
  private readonly wakes = new Map<string, number>();

  get(name: string): ServiceRecord | undefined {
    return this.records.get(name);
  }

  /** Every service, by name. */
  list(): ServiceRecord[] {
    return [...this.records.values()].sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1));
  }

  get size(): number {
    return this.records.size;
  }

  put(record: ServiceRecord): void {
    this.records.set(record.spec.name, record);
    this.dirtyNames.add(record.spec.name);
  }

  delete(name: string): void {
    this.records.delete(name);
    this.dirtyNames.add(name);
  }

  /** Live replica job names of `service`, in replica order. */
  liveReplicas(service: string): string[] {
    return [...(this.replicas.get(service) ?? [])];
  }

  /**
   * Called for every stored job that belongs to a service: `live` false once it left state. A new
   * replica number moves the service's `nextReplica` past it, so names are never reused.
   */
  noteReplica(service: string, job: string, replica: number, live: boolean): void {
    const record = this.records.get(service);
    if (record && replica >= record.nextReplica)
      this.records.set(service, { ...record, nextReplica: replica + 1 });
    let set = this.replicas.get(service);
    if (live) {
      if (!set) this.replicas.set(service, (set = new Set()));
      set.add(job);
    } else if (set) {
      set.delete(job);
      if (set.size === 0) this.replicas.delete(service);
    }
    this.dirtyNames.add(service);
  }

  /**
   * Pins the image digest of `service`'s `generation` (the first running replica that reported
   * one wins); a no-op once pinned or for another generation.
   */
  pinDigest(service: string, generation: number, digest: string): void {
    const record = this.records.get(service);
    if (!record || record.generation !== generation || record.imageDigest !== undefined) return;
    this.records.set(service, { ...record, imageDigest: digest });
  }

  /** Marks `service` for a reconcile (its replicas' readiness changed). */
  markDirty(service: string): void {
    if (this.records.has(service)) this.dirtyNames.add(service);
  }

  /** Asks for a reconcile of `service` at `at` (the earliest asked for wins). */
  wakeAt(service: string, at: number): void {
    const before = this.wakes.get(service);
    if (before === undefined || at < before) this.wakes.set(service, at);
  }

  /** The earliest wake asked for, if any. */
  nextWake(): number | undefined {
    let next: number | undefined;
    for (const at of this.wakes.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /**
   * Services that changed since the last call (and forgets them), with those whose wake is due
   * at `now` when given.
   */
  takeDirty(now?: number): string[] {
    if (now !== undefined)
      for (const [name, at] of this.wakes)
        if (at <= now) {
          this.wakes.delete(name);
          this.markDirty(name);
        }
    if (this.dirtyNames.size === 0) return [];
    const names = [...this.dirtyNames].sort();
    this.dirtyNames = new Set();
    return names;
  }

  /** Marks every service for a reconcile (after a restore: nothing is known to be settled). */
  markAllDirty(): void {
    for (const name of this.records.keys()) this.dirtyNames.add(name);
    for (const name of this.replicas.keys()) this.dirtyNames.add(name);
  }
}
