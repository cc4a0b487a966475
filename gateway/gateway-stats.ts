/**
 * The gateway's counters, readable through `Gateway.stats()` (tests, the bench, and the metrics a
 * later issue exports).
 */
import type { HealthTier } from './health-tiers.js';
import type { ServicePool } from './service-pool.js';

/** How a request ended at the gateway. */
export type RequestOutcome =
  /** A replica's response was relayed (whatever its status). */
  | 'proxied'
  /** 401: no or a wrong bearer token for a non-public service. */
  | 'unauthorized'
  /** 404: no such service, or a path that names none. */
  | 'notFound'
  /** 503: no ready replica (cannot place, budget out, control plane away, closing). */
  | 'noReplica'
  /** 503: every replica full and the queue full or waited on too long. */
  | 'overloaded'
  /** 502: the replica failed before answering (after the retry, when allowed). */
  | 'upstreamFailed'
  /** The client left before its answer was complete. */
  | 'clientAborted'
  /** 500: a bug in the gateway (logged). */
  | 'error';

/** One tracked replica as seen in {@link GatewayStats}. */
export interface ReplicaStats {
  readonly service: string;
  readonly id: string;
  readonly tier: HealthTier;
  readonly ready: boolean;
  readonly ewmaMs: number | undefined;
  readonly inFlight: number;
}

/** A snapshot of the gateway's counters. */
export interface GatewayStats {
  readonly requests: Readonly<Record<RequestOutcome, number>>;
  /** `scaleUp` calls sent (one per cold start, however many requests waited on it). */
  readonly coldStarts: number;
  /** Requests sent again to another replica after a connection failure. */
  readonly retries: number;
  /** Requests being handled now (waiting, cold-starting or relayed). */
  readonly inFlight: number;
  /** Requests waiting in admission queues now. */
  readonly queued: number;
  readonly replicas: readonly ReplicaStats[];
}

/** The mutable counters behind {@link GatewayStats}. */
export class GatewayCounters {
  private readonly requests: Record<RequestOutcome, number> = {
    proxied: 0,
    unauthorized: 0,
    notFound: 0,
    noReplica: 0,
    overloaded: 0,
    upstreamFailed: 0,
    clientAborted: 0,
    error: 0,
  };
  coldStarts = 0;
  retries = 0;

  /** Counts one request's outcome. */
  count(outcome: RequestOutcome): void {
    this.requests[outcome]++;
  }

  /** A frozen copy, with the live figures of `pools`. */
  snapshot(inFlight: number, pools: readonly ServicePool[]): GatewayStats {
    return Object.freeze({
      requests: Object.freeze({ ...this.requests }),
      coldStarts: this.coldStarts,
      retries: this.retries,
      inFlight,
      queued: pools.reduce((n, p) => n + p.queued, 0),
      replicas: pools.flatMap((p) =>
        [...p.replicas.values()].map((r) => ({
          service: p.service.name,
          id: r.id,
          tier: r.health.tier,
          ready: r.ready,
          ewmaMs: r.health.ewmaMs,
          inFlight: r.inFlight,
        })),
      ),
    });
  }
}
