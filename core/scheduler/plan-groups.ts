/**
 * Groups in one plan: the instances of each group per worker (booked before the plan, from
 * {@link ScheduleOptions.groupInstances}, plus those placed earlier in the plan) for the `spread`
 * choice, and the workers each group avoids after failed starts ({@link ScheduleOptions.avoid}).
 *
 * A task's group is its `group`, or its job's `jobId`. Only the groups of the batch are read from
 * the options, and only usable workers are kept: nothing else can receive a task. Building costs
 * O(entries of the batch's groups); each placement and rollback O(1).
 */
import type { FleetFacts } from './plan-index.js';
import type { ScheduleOptions } from './types.js';

/** See the file comment. */
export class PlanGroups {
  private readonly holders = new Map<string, Map<number, number>>();
  private readonly avoided = new Map<string, number[]>();

  /**
   * @param groups the groups of the batch's tasks
   * @throws RangeError when an instance count is not a positive safe integer or an avoid entry is
   *   not a list of ids (options come from our own code: a bad value is a bug)
   */
  constructor(facts: FleetFacts, options: ScheduleOptions, groups: ReadonlySet<string>) {
    const { groupInstances, avoid } = options;
    for (const group of groups) {
      const counts = groupInstances !== undefined ? ownEntry(groupInstances, group) : undefined;
      if (counts !== undefined) {
        const byWorker = new Map<number, number>();
        for (const [id, n] of Object.entries(counts)) {
          if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
            throw new RangeError(
              `schedule: options.groupInstances[${JSON.stringify(group)}][${JSON.stringify(id)}] must be a positive integer (got ${String(n)})`,
            );
          }
          const w = facts.indexOf(id);
          if (w >= 0 && facts.usable[w] === 1) byWorker.set(w, n);
        }
        if (byWorker.size > 0) this.holders.set(group, byWorker);
      }
      const ids = avoid !== undefined ? ownEntry(avoid, group) : undefined;
      if (ids !== undefined) {
        if (!Array.isArray(ids)) {
          throw new RangeError(`schedule: options.avoid[${JSON.stringify(group)}] must be an array of ids`);
        }
        const list: number[] = [];
        for (const id of ids as readonly unknown[]) {
          const w = typeof id === 'string' ? facts.indexOf(id) : -1;
          if (w >= 0 && facts.usable[w] === 1 && !list.includes(w)) list.push(w);
        }
        if (list.length > 0) this.avoided.set(group, list);
      }
    }
  }

  /** True when no group avoids any usable worker. */
  get avoidsNothing(): boolean {
    return this.avoided.size === 0;
  }

  /** Usable workers holding instances of `group` now → how many; undefined when none. */
  holdersOf(group: string): ReadonlyMap<number, number> | undefined {
    return this.holders.get(group);
  }

  /** Usable workers `group` avoids; undefined when none. */
  avoidedBy(group: string): readonly number[] | undefined {
    return this.avoided.get(group);
  }

  /** One more instance of `group` on worker w (a placement). */
  add(group: string, w: number): void {
    let byWorker = this.holders.get(group);
    if (byWorker === undefined) this.holders.set(group, (byWorker = new Map<number, number>()));
    byWorker.set(w, (byWorker.get(w) ?? 0) + 1);
  }

  /** One instance of `group` fewer on worker w (a rollback). */
  remove(group: string, w: number): void {
    const byWorker = this.holders.get(group);
    const n = byWorker?.get(w) ?? 0;
    if (n > 1) byWorker!.set(w, n - 1);
    else byWorker?.delete(w);
  }
}

/** `record[key]` when it is the record's own property (never a prototype's). */
function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
