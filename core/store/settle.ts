/**
 * Runs `compute` and returns its result as a promise, turning a synchronous throw into a
 * rejection. The in-memory adapters are synchronous inside; this keeps their failures shaped
 * like the MongoDB adapters' (a rejected promise, never a throw from the call itself).
 */
export function settle<T>(compute: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(compute()));
}
