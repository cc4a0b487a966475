/**
 * Bringing a service from no ready replica to one (docs/design/services.md, request path step 4):
 * ask the directory for a replica when it has none, then probe with backoff until one answers,
 * the scheduler says it cannot place one, or the cold-start budget runs out.
 */
import { monotonicNow, type Clock } from '../core/clock/clock.js';
import { NoCapacityError, type ReplicaDirectory } from '../core/services/replica-directory.js';
import type { CompiledGatewayOptions } from './gateway-options.js';
import { probeReplica } from './probe.js';
import type { ServicePool } from './service-pool.js';

/** A cold start that ended without a ready replica: a 503 with `Retry-After` and this message. */
export class ColdStartError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'ColdStartError';
  }
}

/** What a cold start needs from the gateway. */
export interface ColdStartContext {
  readonly directory: ReplicaDirectory;
  readonly clock: Clock;
  readonly options: CompiledGatewayOptions;
  /** Aborted when the gateway closes. */
  readonly signal: AbortSignal;
  /** Told of each `scaleUp` sent (the `coldStarts` counter). */
  readonly onScaleUp: () => void;
}

/**
 * Warms `pool` up; single-flight: concurrent callers share one run, so N cold requests send at
 * most one `scaleUp` between them (PhysarumSM's "flood" was one allocation per request).
 * @throws ColdStartError when no replica became ready
 */
export function warmUp(pool: ServicePool, ctx: ColdStartContext): Promise<void> {
  pool.warming ??= runWarmUp(pool, ctx).finally(() => {
    pool.warming = undefined;
  });
  return pool.warming;
}

async function runWarmUp(pool: ServicePool, ctx: ColdStartContext): Promise<void> {
  const { directory, clock, options } = ctx;
  const name = pool.service.name;
  const deadline = monotonicNow(clock) + options.coldStartBudgetMs;
  let delay = options.readinessBackoffMs;
  let asked = false;
  for (;;) {
    pool.sync(await directory.replicas(name), monotonicNow(clock));
    if (pool.hasRoutable()) return;
    // A running replica may answer already (a gateway restart, a replica ejected earlier): probe
    // before asking for another.
    const remaining = deadline - monotonicNow(clock);
    await Promise.all(
      pool.unready().map(async (r) => {
        const res = await probeReplica(
          r,
          pool.service.healthPath,
          Math.max(1, Math.min(options.probeTimeoutMs, remaining)),
          () => monotonicNow(clock),
        );
        if (res.ok) r.ready = true;
        r.health.recordProbe(res.ok, res.latencyMs, pool.service.latency);
      }),
    );
    if (pool.hasRoutable()) {
      pool.drain();
      return;
    }
    // scaleUp is idempotent ("at least 1"), so with any live replica asking again starts nothing;
    // skipping it saves the control plane a round trip per backoff step.
    if (!asked && pool.listing.length === 0) {
      asked = true;
      ctx.onScaleUp();
      try {
        await directory.scaleUp(name, 1);
      } catch (err) {
        if (err instanceof NoCapacityError) throw new ColdStartError(err.message, err.retryAfterSeconds);
        throw err;
      }
      continue;
    }
    const placed = pool.listing.some((r) => r.state !== 'waiting');
    const unplaced = pool.listing.find((r) => r.state === 'waiting' && r.unplacedReason);
    if (!placed && unplaced) {
      throw new ColdStartError(
        `no replica of ${name} can be placed: ${unplaced.unplacedReason}`,
        options.retryAfterSeconds,
      );
    }
    const left = deadline - monotonicNow(clock);
    if (left <= 0) {
      throw new ColdStartError(
        `no replica of ${name} became ready within ${options.coldStartBudgetMs} ms`,
        options.retryAfterSeconds,
      );
    }
    // Backoff is for probing a replica that runs but does not answer yet; until one runs, the
    // directory is asked at a short fixed pace, so a replica is probed as soon as it starts (a
    // backoff that had grown during placement cost most of a second per cold start).
    if (pool.unready().length === 0) {
      await clock.sleep(Math.min(options.placementPollMs, left), ctx.signal);
      continue;
    }
    await clock.sleep(Math.min(delay, left), ctx.signal);
    delay = Math.min(delay * 2, options.readinessBackoffMaxMs);
  }
}
