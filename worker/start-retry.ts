import { engineMessage, statusCodeOf, TaskStartError } from './docker/docker-errors.js';

/**
 * Retries of a failed container start. A start error is either permanent (the engine gave a
 * definite answer that another try would repeat: image missing and not pullable, configuration
 * refused, command not in the image) or transient (the engine was unreachable or overloaded, a
 * host port is still held, a pull timed out). Permanent errors fail the task at once and are
 * reported as such (see core/job/start-failure.ts), so the JobManager does not re-queue them;
 * transient ones are tried again with an exponential backoff, capped, a bounded number of times.
 */

/** How often and how fast one attempt's start is retried. */
export interface StartRetryPolicy {
  /** Starts tried in all, the first included; 1 means no retry. */
  readonly attempts: number;
  /** Wait before the second start, in ms; doubled for each later one. */
  readonly minMs: number;
  /** Longest wait between two starts, in ms. */
  readonly maxMs: number;
}

/** Used when a runtime is built without a policy (tests, tools). */
export const DEFAULT_START_RETRY: StartRetryPolicy = Object.freeze({ attempts: 4, minMs: 500, maxMs: 8000 });

/** HTTP statuses of the engine that say "not now": conflict in progress, throttled, gateway trouble. */
const TRANSIENT_STATUSES = new Set([409, 429, 502, 503, 504]);

/** Engine sentences (usually with a 500) that describe a passing condition. */
const TRANSIENT_MESSAGE =
  /port is already allocated|address already in use|timed? ?out|temporar|try again|resource busy|socket hang up/i;

/**
 * The engine finding two networks of one name when a container starts (it looks networks up by
 * name at start, even for a container created with a network id). Passing: two clusters (or
 * agents) that created one job network name at the same moment each remove their extra copy
 * within moments (worker/docker/job-networks.ts). Anchored, so no job-chosen name alone makes it.
 */
const AMBIGUOUS_NETWORK = /^network \S+ is ambiguous \(\d+ matches found (?:on|based on) name\)$/;

/** Whether another start of the same task could succeed. */
export type StartErrorKind = 'permanent' | 'transient';

/** Classifies a start error; see the module comment for what falls on each side. */
export function startErrorKind(err: unknown): StartErrorKind {
  if (err instanceof TaskStartError) {
    // The worker's own refusals are final. Anything else it wraps is judged by its cause (a pull
    // that timed out, an engine out of reach: transient; a registry that does not exist: not).
    // The message is never matched: it holds names the job chose.
    if (err.refusal) return 'permanent';
    return err.cause === undefined ? 'transient' : startErrorKind(err.cause);
  }
  const status = statusCodeOf(err);
  // No answer from the engine at all (socket errors, aborted streams): it may come back.
  if (status === undefined) return 'transient';
  if (TRANSIENT_STATUSES.has(status)) return 'transient';
  if (status >= 500 && TRANSIENT_MESSAGE.test(engineMessage(err))) return 'transient';
  if (status >= 400 && AMBIGUOUS_NETWORK.test(engineMessage(err).trim())) return 'transient';
  return 'permanent';
}

/** Wait before start number `next` (2 for the first retry): min · 2^(next−2), capped at max. */
export function startRetryDelayMs(policy: StartRetryPolicy, next: number): number {
  return Math.min(policy.maxMs, policy.minMs * 2 ** Math.max(0, next - 2));
}
