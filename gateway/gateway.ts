import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monotonicNow, SLEEP_CANCELLED, type Clock } from '../core/clock/clock.js';
import type { ServiceReadySample } from '../core/control-state/control-command.js';
import { MAX_READY_REPLICAS, MAX_READY_SERVICES } from '../core/control-state/service-readiness.js';
import type { Logger } from '../core/log/logger.js';
import type { ReplicaDirectory } from '../core/services/replica-directory.js';
import { ColdStartError, warmUp } from './cold-start.js';
import { GatewayCounters, type GatewayStats, type RequestOutcome } from './gateway-stats.js';
import { checkBearer, parseTarget, sendError } from './gateway-http.js';
import {
  compileGatewayOptions,
  type CompiledGatewayOptions,
  type GatewayOptions,
} from './gateway-options.js';
import { LoadMeter } from './load-meter.js';
import { cullIdle, probeService, type MaintenanceContext } from './maintenance.js';
import { forward, hasBody, type ForwardOutcome } from './proxy.js';
import { ServicePool, type TrackedReplica } from './service-pool.js';
import { ServiceLookup } from './service-lookup.js';

/** What the gateway is built from. */
export interface GatewayDeps {
  readonly directory: ReplicaDirectory;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Lifecycle: created → running → closing → closed. */
export type GatewayState = 'created' | 'running' | 'closing' | 'closed';

/** Methods retried once on another replica after a connection failure (RFC 9110 idempotent). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Cold starts one request may go through: a replica ejected right after warming gets one more. */
const MAX_WARM_UPS = 2;

/**
 * The services gateway (docs/design/services.md, "The gateway's request path"): serves
 * `/<service>/<rest>` by streaming to a healthy replica, starting one (single-flight) when there
 * is none, with admission control, retry-once for idempotent requests, PhysarumSM's health tiers
 * and idle culling. It owns no control state: replicas are asked for and released through the
 * {@link ReplicaDirectory}.
 */
export class Gateway {
  private state: GatewayState = 'created';
  private readonly server: Server;
  private readonly lookup: ServiceLookup;
  private readonly counters = new GatewayCounters();
  /** Aborted by close(): cold starts and queue waits stop. */
  private readonly stopping = new AbortController();
  private timers: NodeJS.Timeout[] = [];
  /** Maintenance rounds running now; close() waits for them. */
  private readonly maintaining = new Set<Promise<void>>();
  private active = 0;
  /** Requests in flight per service over time, reported to the autoscaler (see {@link takeLoad}). */
  private readonly load: LoadMeter;
  private onIdle: (() => void) | undefined;

  private constructor(
    private readonly options: CompiledGatewayOptions,
    private readonly deps: GatewayDeps,
  ) {
    this.lookup = new ServiceLookup(
      deps.directory,
      () => monotonicNow(deps.clock),
      options.directoryTtlMs,
      (service) => new ServicePool(service, options.maxInFlightPerReplica, options.maxQueueLength),
    );
    this.server = createServer((req, res) => this.serve(req, res));
    this.load = new LoadMeter(monotonicNow(deps.clock));
  }

  /** Validates the options; call {@link run} to listen. */
  static create(options: GatewayOptions, deps: GatewayDeps): Promise<Gateway> {
    return Promise.resolve(new Gateway(compileGatewayOptions(options), deps));
  }

  getState(): GatewayState {
    return this.state;
  }

  /** Listens, then starts the probe and idle-check timers. */
  async run(): Promise<void> {
    if (this.state !== 'created') throw new Error(`Gateway.run in state ${this.state}`);
    this.state = 'running';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.every(this.options.probeIntervalMs, (pool) => probeService(pool, this.context()));
    this.every(this.options.idleCheckIntervalMs, async (pool) => {
      const released = await cullIdle(pool, this.context());
      if (released)
        this.deps.logger.info({ service: pool.service.name, replica: released }, 'idle replica released');
    });
  }

  /** The bound port (the OS's choice when listening on port 0). */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  /** `http://host:port` of the gateway. */
  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${this.port}`;
  }

  /** Counters and per-replica health, for tests, benches and (later) metrics. */
  stats(): GatewayStats {
    return this.counters.snapshot(this.active, this.lookup.pools());
  }

  /**
   * Each service's requests in flight averaged over the time since the last call (only services
   * that had requests): what the gateway reports to the autoscaler.
   */
  takeLoad(): ReturnType<LoadMeter['take']> {
    return this.load.take(monotonicNow(this.deps.clock));
  }

  /**
   * The replicas this gateway routes to now (a probe passed, not ejected), per service it knows:
   * what it reports so a rolling replace waits for health (docs/design/services.md). A service
   * with none is listed too: the gateway speaks for it, and says nothing is ready.
   */
  readyReplicas(): ServiceReadySample[] {
    return this.lookup
      .pools()
      .map((pool) => ({
        name: pool.service.name,
        replicas: [...pool.replicas.values()]
          .filter((r) => r.ready && r.health.tier !== 'ejected')
          .map((r) => r.id)
          .sort()
          .slice(0, MAX_READY_REPLICAS),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .slice(0, MAX_READY_SERVICES);
  }

  /**
   * Stops accepting, lets requests in flight finish for up to `closeGraceMs`, then cuts the rest
   * and stops the timers; cold starts in progress end with 503.
   */
  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    for (const t of this.timers) clearInterval(t);
    this.stopping.abort(SLEEP_CANCELLED);
    if (wasRunning) {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      if (this.active > 0) {
        const drained = new Promise<void>((resolve) => (this.onIdle = resolve));
        const grace = new AbortController();
        await Promise.race([drained, this.deps.clock.sleep(this.options.closeGraceMs, grace.signal)]);
        grace.abort(SLEEP_CANCELLED);
      }
      this.server.closeAllConnections();
      await closed;
    }
    await Promise.all(this.maintaining);
    for (const pool of this.lookup.pools()) pool.close();
    this.state = 'closed';
  }

  private context(): MaintenanceContext {
    return { directory: this.deps.directory, clock: this.deps.clock, options: this.options };
  }

  /** Runs `work` on every known service each `ms`, one round at a time (a slow round skips ticks). */
  private every(ms: number, work: (pool: ServicePool) => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.state !== 'running') return;
      busy = true;
      const round = Promise.all(
        this.lookup
          .pools()
          .map((pool) =>
            work(pool).catch((err: unknown) =>
              this.deps.logger.warn({ err, service: pool.service.name }, 'gateway maintenance failed'),
            ),
          ),
      ).then(() => {
        busy = false;
        this.maintaining.delete(round);
      });
      this.maintaining.add(round);
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.active++;
    this.handle(req, res)
      .catch((err: unknown) => {
        this.deps.logger.error({ err, url: req.url }, 'gateway request failed');
        sendError(req, res, 'INTERNAL', 'the gateway failed; it has been logged');
        this.counters.count('error');
      })
      .finally(() => {
        if (--this.active === 0) this.onIdle?.();
      });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.state !== 'running') {
      res.setHeader('connection', 'close');
      return this.refuse(req, res, 'noReplica', 'the gateway is shutting down');
    }
    const target = parseTarget(req.url);
    // The definition comes first: only it says whether the service is public. An unknown service
    // is a 401 to a caller without the token, so names cannot be probed anonymously.
    let pool: ServicePool | undefined;
    try {
      pool = target ? await this.lookup.get(target.service) : undefined;
    } catch (err) {
      this.deps.logger.warn({ err, service: target?.service }, 'service lookup failed');
      return this.refuse(req, res, 'noReplica', 'the control plane is unreachable');
    }
    if (!pool?.service.public) {
      const auth = checkBearer(req, this.options.apiToken);
      if (auth !== 'ok') {
        this.counters.count('unauthorized');
        const message =
          auth === 'missing' ? 'send Authorization: Bearer <token>' : 'the bearer token is not valid';
        return sendError(req, res, 'UNAUTHORIZED', message, { challenge: auth });
      }
    }
    if (!target || !pool) {
      this.counters.count('notFound');
      return target
        ? sendError(req, res, 'SERVICE_NOT_FOUND', `no service is named ${target.service}`)
        : sendError(req, res, 'NOT_FOUND', 'address a service as /<service>/<path>');
    }
    // Demand counts from here until the answer ends: queued, cold-starting or relayed.
    const service = pool.service.name;
    this.load.enter(service, monotonicNow(this.deps.clock));
    res.once('close', () => this.load.leave(service, monotonicNow(this.deps.clock)));
    const exclude = new Set<string>();
    const method = req.method ?? 'GET';
    // Retrying is safe only when the method is idempotent and no body byte was sent.
    const retryable = IDEMPOTENT.has(method) && !hasBody(req);
    let replica = await this.admit(req, res, pool, exclude);
    if (!replica) return; // answered (503) or the client left
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.relay(req, res, pool, replica, target.upstreamPath, `/${target.service}`);
      if (outcome.kind !== 'connect-failed') {
        this.counters.count(outcome.kind === 'client-aborted' ? 'clientAborted' : 'proxied');
        return;
      }
      // A reset on a reused keep-alive socket is the replica closing an idle connection as we
      // reused it, not a sick replica; the same replica may serve the retry.
      const stale = outcome.reusedSocket && outcome.error.code === 'ECONNRESET';
      if (!stale) {
        replica.health.recordConnectFailure();
        exclude.add(replica.id);
        pool.drain();
      }
      this.deps.logger.warn(
        { service: pool.service.name, replica: replica.id, code: outcome.error.code },
        'replica connection failed',
      );
      const next = attempt === 0 && retryable && !res.destroyed ? pool.tryAcquire(exclude) : undefined;
      if (!next) break;
      this.counters.retries++;
      replica = next;
    }
    if (res.destroyed) return void this.counters.count('clientAborted');
    this.counters.count('upstreamFailed');
    sendError(req, res, 'UPSTREAM_FAILED', `the replica of ${pool.service.name} failed before it answered`);
  }

  /** A slot on a replica, after a cold start or a queue wait if need be; undefined once answered. */
  private async admit(
    req: IncomingMessage,
    res: ServerResponse,
    pool: ServicePool,
    exclude: Set<string>,
  ): Promise<TrackedReplica | undefined> {
    for (let warmUps = 0; ;) {
      const got = await pool.acquire(exclude, (signal) => this.queueWait(res, signal));
      if (typeof got !== 'string') {
        if (!res.destroyed) return got;
        pool.release(got, monotonicNow(this.deps.clock));
        return void this.counters.count('clientAborted');
      }
      if (res.destroyed) return void this.counters.count('clientAborted');
      if (got !== 'none' || warmUps++ >= MAX_WARM_UPS) {
        const { name } = pool.service;
        const closing = got === 'closed' || this.stopping.signal.aborted;
        const why =
          got === 'none'
            ? `no replica of ${name} stayed ready`
            : closing
              ? 'the gateway is shutting down'
              : `every replica of ${name} is busy and ${pool.queued} requests wait`;
        return void this.refuse(req, res, got === 'none' || closing ? 'noReplica' : 'overloaded', why);
      }
      try {
        await warmUp(pool, {
          ...this.context(),
          signal: this.stopping.signal,
          onScaleUp: () => this.counters.coldStarts++,
        });
      } catch (err) {
        if (res.destroyed) return void this.counters.count('clientAborted');
        if (err instanceof ColdStartError)
          return void this.refuse(req, res, 'noReplica', err.message, err.retryAfterSeconds);
        const message =
          err === SLEEP_CANCELLED ? 'the gateway is shutting down' : 'the control plane is unreachable';
        if (err !== SLEEP_CANCELLED)
          this.deps.logger.warn({ err, service: pool.service.name }, 'cold start failed');
        return void this.refuse(req, res, 'noReplica', message);
      }
    }
  }

  /**
   * Resolves after the longest queue wait, when the client leaves, when the gateway closes, or
   * when the waiter was served (`signal`); the pool ignores the end of a wait it already settled.
   */
  private queueWait(res: ServerResponse, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const onClose = (): void => resolve();
      res.once('close', onClose);
      const done = (): void => {
        res.off('close', onClose);
        resolve();
      };
      this.deps.clock
        .sleep(this.options.maxQueueWaitMs, AbortSignal.any([signal, this.stopping.signal]))
        .then(done, done);
    });
  }

  private async relay(
    req: IncomingMessage,
    res: ServerResponse,
    pool: ServicePool,
    replica: TrackedReplica,
    path: string,
    prefix: string,
  ): Promise<ForwardOutcome> {
    const now = (): number => monotonicNow(this.deps.clock);
    try {
      return await forward(req, res, replica, {
        path,
        prefix,
        stripAuthorization: !pool.service.public,
        now,
        onHeaders: (ms) => replica.health.recordResponse(ms, pool.service.latency),
      });
    } finally {
      pool.release(replica, now());
    }
  }

  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    outcome: RequestOutcome,
    message: string,
    retryAfterSeconds = this.options.retryAfterSeconds,
  ): void {
    this.counters.count(outcome);
    sendError(req, res, 'NO_REPLICA_AVAILABLE', message, { retryAfterSeconds });
  }
}
