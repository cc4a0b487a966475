/**
 * The gateway's periodic work on each service it routes: liveness probes that move replicas
 * between health tiers, and the culling of idle replicas above the service's minimum.
 */
import { monotonicNow, type Clock } from '../core/clock/clock.js';
import type { ReplicaDirectory } from '../core/services/replica-directory.js';
import type { CompiledGatewayOptions } from './gateway-options.js';
import { probeReplica } from './probe.js';
import type { ServicePool } from './service-pool.js';

/** What the periodic work needs. */
export interface MaintenanceContext {
  readonly directory: ReplicaDirectory;
  readonly clock: Clock;
  readonly options: CompiledGatewayOptions;
}

/**
 * Refreshes the service's replica list and probes every replica it tracks: a pass makes a new
 * replica ready and readmits an ejected one; a failure ejects. Replicas that started without a
 * cold request (the autoscaler's) come into service this way.
 */
export async function probeService(pool: ServicePool, ctx: MaintenanceContext): Promise<void> {
  pool.sync(await ctx.directory.replicas(pool.service.name), monotonicNow(ctx.clock));
  await Promise.all(
    [...pool.replicas.values()].map(async (r) => {
      const res = await probeReplica(r, pool.service.healthPath, ctx.options.probeTimeoutMs, () =>
        monotonicNow(ctx.clock),
      );
      if (pool.replicas.get(r.id) !== r) return; // forgotten while probed
      if (res.ok) r.ready = true;
      r.health.recordProbe(res.ok, res.latencyMs, pool.service.latency);
    }),
  );
  pool.drain();
}

/**
 * Releases at most one replica: the longest idle past the service's `idleTimeoutMs`, with no
 * request in flight, and only while the service has more live replicas than its minimum. One per
 * check so a burst after a quiet spell finds most replicas still there.
 * @returns the released replica's id, if any
 */
export async function cullIdle(pool: ServicePool, ctx: MaintenanceContext): Promise<string | undefined> {
  const { service } = pool;
  const listing = await ctx.directory.replicas(service.name);
  const now = monotonicNow(ctx.clock);
  pool.sync(listing, now);
  if (listing.length <= service.minReplicas) return undefined;
  let idlest: { id: string; lastRequestAt: number } | undefined;
  for (const r of pool.replicas.values()) {
    if (r.inFlight > 0 || now - r.lastRequestAt < service.idleTimeoutMs) continue;
    if (!idlest || r.lastRequestAt < idlest.lastRequestAt) idlest = r;
  }
  if (!idlest) return undefined;
  // Out of rotation first, so no request is sent to a replica being stopped.
  pool.forget(idlest.id);
  pool.listing = pool.listing.filter((r) => r.id !== idlest.id);
  await ctx.directory.release(service.name, idlest.id);
  return idlest.id;
}
