import type { ClusterEvent, EventKind, UsageSample, WorkerRecord } from '../model/records.js';
import { assertLimit } from './job-order.js';
import { MemoryComponentStore } from './memory-component-store.js';
import { MemoryJobStore } from './memory-job-store.js';
import { plainCopy } from './plain-copy.js';
import { settle } from './settle.js';
import type {
  EventStore,
  SettingsStore,
  Stores,
  UsageStore,
  WorkerJoin,
  WorkerStore,
} from './store-ports.js';
import { joinedWorker, replacedWorker } from './worker-updates.js';

/**
 * The in-memory adapter of every storage port: tests, and the single-process mode where nothing
 * has to survive a restart. It answers exactly as the MongoDB adapter does; the shared contract
 * suite (test/support/store-contract.ts) holds both to that. Semantics the ports leave open and
 * both adapters share:
 *
 * - properties whose value is `undefined` are not stored (BSON semantics, see plainCopy);
 * - failures (a bad cursor or limit) are rejections, never synchronous throws;
 * - workers are listed by id; a replace never moves `lastHeartbeatAt` backwards;
 * - events are listed oldest first: the latest `limit` matches, ties in append order;
 * - usage ranges are half-open, `fromMs <= at < toMs`, ascending by time;
 * - every `deleteBefore` deletes entries with `at < beforeMs`.
 */
export function createMemoryStores(): Stores {
  let closed = false;
  return {
    jobs: new MemoryJobStore(),
    workers: new MemoryWorkerStore(),
    settings: new MemorySettingsStore(),
    events: new MemoryEventStore(),
    usage: new MemoryUsageStore(),
    components: new MemoryComponentStore(),
    ping: () => settle(() => (closed ? 'memory store closed' : 'ok')),
    close: () =>
      settle(() => {
        closed = true;
      }),
  };
}

/** {@link WorkerStore} in process memory; each call is atomic (no `await` inside). */
export class MemoryWorkerStore implements WorkerStore {
  readonly #workers = new Map<string, WorkerRecord>();

  /** Registers or re-registers a worker (see joinedWorker). */
  join(join: WorkerJoin): Promise<WorkerRecord> {
    return settle(() => {
      const next = joinedWorker(this.#workers.get(join.id), plainCopy(join));
      this.#workers.set(next.id, next);
      return plainCopy(next);
    });
  }

  /** The worker with `id`, if any. */
  get(id: string): Promise<WorkerRecord | undefined> {
    return settle(() => {
      const worker = this.#workers.get(id);
      return worker && plainCopy(worker);
    });
  }

  /** Every worker, by id. */
  list(): Promise<WorkerRecord[]> {
    return settle(() =>
      [...this.#workers.values()]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((w) => plainCopy(w)),
    );
  }

  /** Sets `lastHeartbeatAt`; the version is untouched. */
  heartbeat(id: string, at: number): Promise<boolean> {
    return settle(() => {
      const worker = this.#workers.get(id);
      if (!worker) return false;
      this.#workers.set(id, { ...worker, lastHeartbeatAt: at });
      return true;
    });
  }

  /** Conditional replace by version (see replacedWorker). */
  replace(worker: WorkerRecord, expectedVersion: number): Promise<boolean> {
    return settle(() => {
      const stored = this.#workers.get(worker.id);
      if (!stored || stored.version !== expectedVersion) return false;
      this.#workers.set(worker.id, replacedWorker(stored, plainCopy(worker), expectedVersion));
      return true;
    });
  }

  /** Stores copies of `workers` as given, by id, in order (a repeated id: the later wins). */
  upsertMany(workers: readonly WorkerRecord[]): Promise<void> {
    return settle(() => {
      for (const worker of workers) this.#workers.set(worker.id, plainCopy(worker));
    });
  }

  /** Forgets the worker; false when unknown. */
  remove(id: string): Promise<boolean> {
    return settle(() => this.#workers.delete(id));
  }
}

/** {@link SettingsStore} in process memory. */
export class MemorySettingsStore implements SettingsStore {
  #strategy: string | undefined;

  /** The stored strategy name, if one was set. */
  getStrategy(): Promise<string | undefined> {
    return settle(() => this.#strategy);
  }

  /** Stores the strategy name. */
  setStrategy(name: string): Promise<void> {
    return settle(() => {
      this.#strategy = name;
    });
  }

  #recordsThrough = 0;

  getRecordsThrough(): Promise<number> {
    return settle(() => this.#recordsThrough);
  }

  setRecordsThrough(seq: number): Promise<void> {
    return settle(() => {
      this.#recordsThrough = seq;
    });
  }
}

/** {@link EventStore} in process memory: an array in append order. */
export class MemoryEventStore implements EventStore {
  #events: ClusterEvent[] = [];
  /** Event objects appended so far: appending one again (a retry) stores nothing, as on MongoDB. */
  readonly #appended = new WeakSet<ClusterEvent>();
  /** Ids of the events with one stored: an event with a stored id is not stored again. */
  readonly #ids = new Set<string>();
  /** The stable id each stored event came with (kept apart: `list` answers without ids). */
  readonly #idOf = new WeakMap<ClusterEvent, string>();

  /** Appends copies of `events`, except those appended before. */
  append(events: readonly ClusterEvent[]): Promise<void> {
    return settle(() => {
      for (const e of events) {
        if (this.#appended.has(e) || (e.id !== undefined && this.#ids.has(e.id))) continue;
        this.#appended.add(e);
        if (e.id !== undefined) this.#ids.add(e.id);
        const { id: _id, ...rest } = plainCopy(e);
        this.#events.push(rest);
        if (e.id !== undefined && STABLE_ID.test(e.id)) this.#idOf.set(rest, e.id.toLowerCase());
      }
    });
  }

  /** The latest `limit` matching events, oldest first. */
  list(filter: { readonly job?: string; readonly kind?: EventKind }, limit: number): Promise<ClusterEvent[]> {
    return settle(() => {
      assertLimit(limit);
      const matching = this.#events.filter(
        (e) =>
          (filter.job === undefined || e.job === filter.job) &&
          (filter.kind === undefined || e.kind === filter.kind),
      );
      // Array#sort is stable, so equal times keep append order.
      return matching
        .sort((a, b) => a.at - b.at)
        .slice(-limit)
        .map((e) => plainCopy(e));
    });
  }

  /** The first `limit` matching events with a stable id above `afterId`, by id, with their ids. */
  listAfter(
    afterId: string,
    filter: { readonly job?: string; readonly kind?: EventKind },
    limit: number,
  ): Promise<ClusterEvent[]> {
    return settle(() => {
      assertLimit(limit);
      if (!STABLE_ID.test(afterId)) return [];
      const after = afterId.toLowerCase();
      const out: ClusterEvent[] = [];
      for (const e of this.#events) {
        const id = this.#idOf.get(e);
        if (id === undefined || id <= after) continue;
        if (filter.job !== undefined && e.job !== filter.job) continue;
        if (filter.kind !== undefined && e.kind !== filter.kind) continue;
        out.push({ ...plainCopy(e), id });
      }
      return out.sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1)).slice(0, limit);
    });
  }

  /** Deletes events with `at < beforeMs`. */
  deleteBefore(beforeMs: number): Promise<number> {
    return settle(() => {
      const before = this.#events.length;
      this.#events = this.#events.filter((e) => e.at >= beforeMs);
      return before - this.#events.length;
    });
  }
}

/** An event's stable id: 24 hex digits (see ClusterEvent.id). */
const STABLE_ID = /^[0-9a-f]{24}$/i;

/** {@link UsageStore} in process memory: an array of samples in append order. */
export class MemoryUsageStore implements UsageStore {
  #samples: UsageSample[] = [];

  /** Appends copies of `samples`. */
  append(samples: readonly UsageSample[]): Promise<void> {
    return settle(() => {
      this.#samples.push(...samples.map((s) => plainCopy(s)));
    });
  }

  /** Samples of `workerId` with `fromMs <= at < toMs`, ascending by time (stable for ties), at most `limit`. */
  range(
    workerId: string,
    fromMs: number,
    toMs: number,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<UsageSample[]> {
    return settle(() =>
      this.#samples
        .filter((s) => s.workerId === workerId && s.at >= fromMs && s.at < toMs)
        .sort((a, b) => a.at - b.at)
        .slice(0, limit)
        .map((s) => plainCopy(s)),
    );
  }

  /** Deletes samples with `at < beforeMs`. */
  deleteBefore(beforeMs: number): Promise<number> {
    return settle(() => {
      const before = this.#samples.length;
      this.#samples = this.#samples.filter((s) => s.at >= beforeMs);
      return before - this.#samples.length;
    });
  }
}
