import type { Clock } from '../../core/clock/clock.js';
import { permanentStartFailure } from '../../core/job/start-failure.js';
import type { TaskAssignment, TaskRef } from '../../core/protocol/index.js';
import { startErrorKind, startRetryDelayMs, type StartRetryPolicy } from '../start-retry.js';
import { adoptExisting, type AdoptionContext } from './adopt-existing.js';
import { createAndStart, type CreateContext } from './create-and-start.js';
import { engineMessage, TaskStartError } from './docker-errors.js';

/** What starting a task needs of the Docker runtime (passed in: this never imports it). */
export interface StartContext extends AdoptionContext, CreateContext {
  /** How often and how fast a transiently failing start is tried again. */
  readonly policy: StartRetryPolicy;
  readonly clock: Clock;
  /** Aborted when the runtime closes: no further try, and no failure reported. */
  readonly closing: AbortSignal;
}

/**
 * Starts one attempt: adopts its container if one exists already (see {@link adoptExisting}),
 * else pulls the image, creates and starts the container and reports it running. A permanent
 * start error fails it at once, its reason marked permanent (the JobManager then does not
 * re-queue it); a transient one is tried again after an exponential, capped backoff (see
 * start-retry.ts), until the policy's attempts run out, the task is stopped (`signal`) or the
 * runtime closes. The outcome is reported through `ctx.emit`, not returned.
 */
export async function startWithRetry(
  ctx: StartContext,
  a: TaskAssignment,
  ref: TaskRef,
  signal?: AbortSignal,
): Promise<void> {
  for (let tried = 1; ; tried++) {
    try {
      const name = await adoptExisting(ctx, a, ref);
      if (name === undefined) return;
      ctx.rememberDigest(ref, await ctx.images.ensure(a.image));
      await createAndStart(ctx, a, name);
      ctx.emit({ ref, state: 'running', exitCode: null, reason: null });
      return;
    } catch (err) {
      if (ctx.closing.aborted || signal?.aborted) return;
      const reason = err instanceof TaskStartError ? err.message : engineMessage(err);
      const kind = startErrorKind(err);
      if (kind === 'transient' && tried < ctx.policy.attempts) {
        const delayMs = startRetryDelayMs(ctx.policy, tried + 1);
        ctx.logger.info({ ref, reason, delayMs, tried }, 'task failed to start; retrying');
        const waits = signal ? AbortSignal.any([ctx.closing, signal]) : ctx.closing;
        const slept = await ctx.clock.sleep(delayMs, waits).then(
          () => true,
          () => false,
        );
        if (!slept) return; // stopped or closing: the agent already knows
        continue;
      }
      ctx.logger.warn({ ref, reason, kind, tried }, 'task failed to start');
      const reported = kind === 'permanent' ? permanentStartFailure(reason) : reason;
      ctx.emit({ ref, state: 'failed', exitCode: null, reason: reported });
      return;
    }
  }
}
