/**
 * Instances of each spread group per worker: the placed, live tasks of every live job, counted by
 * the job's group (see `spreadGroupOf`). Kept by the {@link ControlState} as bookings come and
 * go, so a round reads the instances of the groups it plans without scanning the jobs; the
 * `spread` choice receives them as `groupInstances`.
 */
export class GroupInstances {
  private readonly byGroup = new Map<string, Map<string, number>>();

  /** One more instance of `group` on `worker`. */
  add(group: string, worker: string): void {
    let byWorker = this.byGroup.get(group);
    if (byWorker === undefined) this.byGroup.set(group, (byWorker = new Map<string, number>()));
    byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
  }

  /** One instance of `group` fewer on `worker`. */
  remove(group: string, worker: string): void {
    const byWorker = this.byGroup.get(group);
    const n = byWorker?.get(worker) ?? 0;
    if (n > 1) byWorker!.set(worker, n - 1);
    else {
      byWorker?.delete(worker);
      if (byWorker?.size === 0) this.byGroup.delete(group);
    }
  }

  /** group → worker → instances, for `groups` that have any (plain data for `ScheduleOptions`). */
  of(groups: Iterable<string>): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const group of groups) {
      const byWorker = this.byGroup.get(group);
      if (byWorker !== undefined) out[group] = Object.fromEntries(byWorker);
    }
    return out;
  }
}
