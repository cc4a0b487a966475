import type { WorkerRtt } from '../core/protocol/index.js';

/** How long one answer of the GlobalManager serves the worker views. @defaultValue 1 s */
export const WORKER_ROWS_CACHE_MS = 1_000;

/** How long a worker listing waits for the GlobalManager's rows. @defaultValue 500 ms */
export const WORKER_ROWS_TIMEOUT_MS = 500;

/**
 * The GlobalManager's per-worker rows (round trips, last seen) for a FrontEnd whose GlobalManager
 * runs in another process. Bounded so a listing never depends on it: one query at a time, each
 * answer (or failure) kept for `cacheMs` so a burst of listings asks once, and a failed or late
 * query yields no rows (the views then show the records' own times) — it never throws.
 * @param query asks the GlobalManager, giving up after the timeout it is passed (may throw)
 * @param now wall-clock ms, for the cache's age
 */
export function cachedWorkerRows(
  query: (timeoutMs: number) => Promise<readonly WorkerRtt[]>,
  now: () => number,
  cacheMs = WORKER_ROWS_CACHE_MS,
  timeoutMs = WORKER_ROWS_TIMEOUT_MS,
): () => Promise<readonly WorkerRtt[]> {
  let cached: { at: number; rows: readonly WorkerRtt[] } | undefined;
  let inFlight: Promise<readonly WorkerRtt[]> | undefined;
  return () => {
    const t = now();
    if (cached && t - cached.at >= 0 && t - cached.at < cacheMs) return Promise.resolve(cached.rows);
    inFlight ??= withDeadline(query(timeoutMs), timeoutMs)
      .catch((): readonly WorkerRtt[] => [])
      .then((rows) => {
        cached = { at: now(), rows };
        inFlight = undefined;
        return rows;
      });
    return inFlight;
  };
}

/** `p`, or a rejection once `ms` passed (a send that cannot leave must not hold a listing). */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
