/**
 * Redelivery policy shared by both queue adapters. A handler rejection means "try again later";
 * after `attempts` deliveries the message is logged and dropped. Dropping is safe because the
 * queue carries notifications only: the job is in the store, and the JobManager rebuilds its
 * waiting set from the store at start-up and on its periodic resync.
 */

/** How often and how patiently a rejected message is redelivered. */
export interface QueueRetryOptions {
  /**
   * Deliveries of one message, the first included, before it is dropped.
   * @defaultValue 5
   */
  readonly attempts?: number;
  /**
   * Delay before the first redelivery; each later one doubles it (exponential backoff).
   * @defaultValue 500
   */
  readonly backoffMs?: number;
}

/** The defaults: 5 deliveries over about 7.5 s (0.5 + 1 + 2 + 4 s of backoff). */
export const QUEUE_RETRY_DEFAULTS = Object.freeze({ attempts: 5, backoffMs: 500 });

/** The delay before redelivering a message whose `attempt`-th delivery (1-based) failed. */
export function backoffDelayMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** (attempt - 1);
}

/**
 * The options with defaults applied.
 * @throws RangeError for a non-positive attempt count or a negative backoff.
 */
export function resolveRetry(opts: QueueRetryOptions): Required<QueueRetryOptions> {
  const attempts = opts.attempts ?? QUEUE_RETRY_DEFAULTS.attempts;
  const backoffMs = opts.backoffMs ?? QUEUE_RETRY_DEFAULTS.backoffMs;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError(`attempts must be >= 1, got ${attempts}`);
  if (!(backoffMs >= 0)) throw new RangeError(`backoffMs must be >= 0, got ${backoffMs}`);
  return { attempts, backoffMs };
}
