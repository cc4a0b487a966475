/**
 * The gateway's options: what the caller may set, the defaults in one table, and the compiled,
 * frozen form the gateway runs on (docs/design/services.md, "The gateway's request path").
 */

/** Options of the {@link Gateway}. Durations are milliseconds. */
export interface GatewayOptions {
  /** Listen address. @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** Listen port; 0 lets the OS pick one (read it from `Gateway.port`). */
  readonly port: number;
  /** The API's bearer token; required for every service that is not `public`. Never logged. */
  readonly apiToken: string;
  /** How long a cold request waits for a replica to start and pass its probe. @defaultValue 30 000 */
  readonly coldStartBudgetMs?: number;
  /**
   * How often a cold start asks the directory while no replica runs yet (placed, image pulled,
   * container started). Cheap (one query); short, so the first probe follows the start closely.
   * @defaultValue 50
   */
  readonly placementPollMs?: number;
  /** First wait between readiness probes; it doubles up to the maximum. @defaultValue 200 */
  readonly readinessBackoffMs?: number;
  /** Longest wait between readiness probes. @defaultValue 1 000 */
  readonly readinessBackoffMaxMs?: number;
  /** Requests one replica serves at once; more wait in the queue. @defaultValue 64 */
  readonly maxInFlightPerReplica?: number;
  /** Requests that may wait per service when every replica is full; more get 503. @defaultValue 256 */
  readonly maxQueueLength?: number;
  /** Longest wait in that queue before a 503. @defaultValue 10 000 */
  readonly maxQueueWaitMs?: number;
  /** Liveness probes of routed replicas and the refresh of their list. @defaultValue 2 000 */
  readonly probeIntervalMs?: number;
  /** One probe's time limit. @defaultValue 1 000 */
  readonly probeTimeoutMs?: number;
  /** How often idle replicas above the minimum are looked for. @defaultValue 5 000 */
  readonly idleCheckIntervalMs?: number;
  /** How long a service definition (or its absence) is trusted before asking again. @defaultValue 1 000 */
  readonly directoryTtlMs?: number;
  /** The `Retry-After` of a 503 when the directory gives none. @defaultValue 1 */
  readonly retryAfterSeconds?: number;
  /** How long {@link Gateway.close} waits for requests in flight before cutting them. @defaultValue 5 000 */
  readonly closeGraceMs?: number;
}

/** The options with every default applied, validated and frozen. */
export type CompiledGatewayOptions = Readonly<Required<GatewayOptions>>;

/** The defaults, in one place. */
export const GATEWAY_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  coldStartBudgetMs: 30_000,
  placementPollMs: 50,
  readinessBackoffMs: 200,
  readinessBackoffMaxMs: 1_000,
  // A container answering HTTP copes with dozens of concurrent requests; past that, queueing at
  // the gateway is cheaper than piling sockets on it (PhysarumSM had no admission at all).
  maxInFlightPerReplica: 64,
  maxQueueLength: 256,
  maxQueueWaitMs: 10_000,
  probeIntervalMs: 2_000,
  probeTimeoutMs: 1_000,
  idleCheckIntervalMs: 5_000,
  directoryTtlMs: 1_000,
  retryAfterSeconds: 1,
  closeGraceMs: 5_000,
} satisfies Omit<CompiledGatewayOptions, 'port' | 'apiToken'>);

/** Applies the defaults and checks every value; throws naming the first bad field. */
export function compileGatewayOptions(options: GatewayOptions): CompiledGatewayOptions {
  const o: Required<GatewayOptions> = {
    ...GATEWAY_DEFAULTS,
    ...stripUndefined(options),
    port: options.port,
    apiToken: options.apiToken,
  };
  if (o.apiToken === '') throw new Error('Gateway: an empty apiToken would let anyone in');
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65_535) {
    throw new Error(`Gateway: port must be an integer in 0..65535, got ${o.port}`);
  }
  const positive: (keyof GatewayOptions)[] = [
    'coldStartBudgetMs',
    'placementPollMs',
    'readinessBackoffMs',
    'readinessBackoffMaxMs',
    'maxInFlightPerReplica',
    'maxQueueWaitMs',
    'probeIntervalMs',
    'probeTimeoutMs',
    'idleCheckIntervalMs',
    'retryAfterSeconds',
  ];
  for (const k of positive) {
    const v = o[k];
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`Gateway: ${k} must be > 0, got ${String(v)}`);
  }
  for (const k of ['maxQueueLength', 'directoryTtlMs', 'closeGraceMs'] as const) {
    if (!(o[k] >= 0)) throw new Error(`Gateway: ${k} must be >= 0, got ${o[k]}`);
  }
  if (o.readinessBackoffMaxMs < o.readinessBackoffMs) {
    throw new Error('Gateway: readinessBackoffMaxMs must be >= readinessBackoffMs');
  }
  return Object.freeze(o);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
