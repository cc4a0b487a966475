/**
 * The gateway's view of services and their replicas (a port: the real adapter asks the leading
 * JobManager over the control link and the workers over the worker link; tests use a fake).
 */

/** What the gateway needs of a service's definition. */
export interface GatewayService {
  readonly name: string;
  /** Probed with GET for readiness (after a start) and liveness (while routed to). */
  readonly healthPath: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** A replica above the minimum with no request for this long is released. */
  readonly idleTimeoutMs: number;
  /** Served without the API token. */
  readonly public: boolean;
  /** PhysarumSM's health tiers; absent: latency never demotes a replica. */
  readonly latency: { readonly softMs: number; readonly hardMs: number } | undefined;
}

/** One replica as the gateway routes to it. */
export interface GatewayReplica {
  /** Stable for the replica's life (its job name). */
  readonly id: string;
  /**
   * `waiting`: not placed yet (see `unplacedReason`); `starting`: placed, its container not
   * running yet; `running`: its container runs (it may not answer yet).
   */
  readonly state: 'waiting' | 'starting' | 'running';
  /** `host:port` of its published service port once known, else null. */
  readonly address: string | null;
  /** The scheduler's reason, with counts, while `waiting` ("needs 2 cores: 3 workers have fewer free"). */
  readonly unplacedReason: string | null;
}

/** Why a replica could not be had: the scheduler's reason, with counts. */
export class NoCapacityError extends Error {
  constructor(
    message: string,
    /** Seconds after which asking again may succeed. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'NoCapacityError';
  }
}

/** The port itself. Every method may reject when the control plane is unreachable. */
export interface ReplicaDirectory {
  /** The service named `name`, or undefined when there is none. */
  service(name: string): Promise<GatewayService | undefined>;
  /** Its live replicas (not ended, not being stopped). */
  replicas(service: string): Promise<readonly GatewayReplica[]>;
  /**
   * Asks for at least `count` replicas (idempotent: asking twice for 1 starts one). Resolves once
   * the request is recorded, not when the replicas run: a replica that cannot be placed shows as
   * `waiting` with its reason.
   * @throws NoCapacityError when the service is at its maximum or the cluster's cap
   */
  scaleUp(service: string, count: number): Promise<void>;
  /** Stops `replica` if the service stays at or above its minimum without it. */
  release(service: string, replica: string): Promise<void>;
}
