/**
 * Counts the calls the control plane makes to its stores, as store round trips: one per call,
 * except `upsertMany`, which the MongoDB adapter sends as one command per 25 records. The bench
 * polls through the leader-backed view, which does not touch these stores for live state.
 */
import { MAX_STATEMENTS_PER_COMMAND } from '../core/store/mongo-bulk.js';
import type { Stores } from '../core/store/store-ports.js';

/** A counter shared by every wrapped port. */
export interface CallCounter {
  calls: number;
  /** Time spent in store calls, summed (calls may overlap, so it can exceed the wall time). */
  ms: number;
}

/** Wraps `stores` so every port call adds to `counter` (see the file comment). */
export function countingStores(counter: CallCounter): (stores: Stores) => Stores {
  return (stores) => {
    const wrap = <T extends object>(port: T): T =>
      new Proxy(port, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (typeof v !== 'function') return v;
          return (...args: unknown[]) => {
            const first = args[0];
            counter.calls +=
              prop === 'upsertMany' && Array.isArray(first)
                ? Math.ceil(first.length / MAX_STATEMENTS_PER_COMMAND)
                : 1;
            const t = performance.now();
            const out = (v as (...a: unknown[]) => unknown).apply(target, args);
            if (out instanceof Promise) {
              return out.finally(() => {
                counter.ms += performance.now() - t;
              });
            }
            counter.ms += performance.now() - t;
            return out;
          };
        },
      });
    return {
      jobs: wrap(stores.jobs),
      workers: wrap(stores.workers),
      settings: wrap(stores.settings),
      events: wrap(stores.events),
      usage: wrap(stores.usage),
      components: wrap(stores.components),
      ping: () => stores.ping(),
      close: () => stores.close(),
    };
  };
}
