/**
 * The clock port: every read of "now" and every wait goes through it, so tests can drive time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Milliseconds on a monotonic clock (arbitrary origin): for durations that must not jump with
   * the wall clock. Optional; {@link monotonicNow} falls back to {@link Clock.now}.
   */
  monotonic?(): number;
}

/** The clock's monotonic reading, or its wall-clock reading when it has no monotonic one. */
export function monotonicNow(clock: Clock): number {
  return clock.monotonic ? clock.monotonic() : clock.now();
}

/**
 * The reason to abort a {@link Clock.sleep} that is merely no longer needed (acknowledged,
 * replaced, stopped). Pre-built because `abort()` without a reason builds a DOMException with a
 * stack trace each time, which showed up in profiles where thousands of sleeps end that way.
 */
export const SLEEP_CANCELLED: Error = Object.freeze(new Error('sleep cancelled'));

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
