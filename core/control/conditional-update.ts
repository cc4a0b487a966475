/**
 * Most times a conditional write is retried after a version conflict. Conflicts only happen
 * when two writers touch the same record at once, so a handful of retries settles them; past
 * that, the caller gives up for this round and the next round starts from a fresh read.
 */
export const MAX_CONDITIONAL_ATTEMPTS = 8;

/** The outcome of {@link updateWithRetry}. */
export type UpdateOutcome<T, R> =
  | { readonly status: 'updated'; readonly record: T; readonly result: R }
  | { readonly status: 'unchanged'; readonly record: T | undefined; readonly result: R }
  | { readonly status: 'conflict' };

/**
 * Read → compute → conditional write, retried on version conflicts a bounded number of times.
 * `compute` returns `undefined` for "nothing to write" (then the result is `unchanged`).
 */
export async function updateWithRetry<T extends { readonly version: number }, R>(
  load: () => Promise<T | undefined>,
  compute: (current: T | undefined) => { next: T; result: R } | { next: undefined; result: R },
  replace: (next: T, expectedVersion: number) => Promise<boolean>,
  attempts = MAX_CONDITIONAL_ATTEMPTS,
): Promise<UpdateOutcome<T, R>> {
  for (let i = 0; i < attempts; i++) {
    const current = await load();
    const { next, result } = compute(current);
    if (next === undefined || current === undefined) return { status: 'unchanged', record: current, result };
    if (await replace(next, current.version))
      return { status: 'updated', record: { ...next, version: current.version + 1 }, result };
  }
  return { status: 'conflict' };
}
