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

  /** Services that changed since the last call (and forgets them). */
  takeDirty(): string[] {
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
