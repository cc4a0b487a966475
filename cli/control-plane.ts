import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { systemClock, type Clock } from '../core/clock/clock.js';
import type { Config } from '../core/config/index.js';
import { ComponentPresence, describeComponents } from '../core/control/index.js';
import {
  LocalControlLink,
  StoreProjection,
  leaderBackedStores,
  answerQuery,
  type LoggedCommands,
  type ControlLink,
} from '../core/control-state/index.js';
import {
  createMemoryDurableState,
  openFileDurableState,
  openMongoDurableState,
  type DurableState,
} from '../core/durable/index.js';
import type { JobRules } from '../core/job/index.js';
import { LeaseKeeper, createRedisLeaderLease } from '../core/lease/index.js';
import { componentLogger, type Logger } from '../core/log/logger.js';
import { mongoUrlDatabase } from '../core/store/mongo-url.js';
import { createStores, type Stores } from '../core/store/index.js';
import {
  ZmqControlClient,
  ZmqControlServer,
  ZmqDispatchLink,
  ZmqWorkerCommandLink,
} from '../core/transport/index.js';
import { Discovery } from '../discovery/discovery.js';
import { createApp } from '../frontend/create-app.js';
import { controlPlaneHandlers } from '../frontend/control-plane-handlers.js';
import { cachedWorkerRows } from '../frontend/cached-worker-rows.js';
import { EventHub } from '../frontend/event-hub.js';
import { eventStream } from '../frontend/event-stream.js';
import { operationsHandlers } from '../frontend/operations-handlers.js';
import { servicesHandlers } from '../frontend/services-handlers.js';
import { controlPlaneKeys } from '../core/security/index.js';
import { GlobalManager } from '../global-manager/global-manager.js';
import { ControlReplicaDirectory } from '../gateway/control-replica-directory.js';
import { Gateway } from '../gateway/gateway.js';
import { registerWorkerLatencyMetrics } from '../global-manager/latency-metrics.js';
import { RetentionPruner } from '../global-manager/retention-pruner.js';
import { ControlLeader } from '../job-manager/control-leader.js';
import { Autoscaler } from '../job-manager/autoscaler.js';
import { QueueLoadSampler } from '../job-manager/queue-load-sampler.js';
import type { QueueLengthProbe } from '../core/services/queue-length-probe.js';
import { RedisQueueLengthProbe } from '../core/services/redis-queue-length-probe.js';
import { LoadReporter } from '../gateway/load-reporter.js';
import { registerGatewayMetrics } from '../gateway/gateway-metrics.js';
import { registerLinkMessageMetrics } from '../global-manager/link-metrics.js';
import { registerLeaderMetrics } from '../job-manager/leader-metrics.js';
import { serveMetrics } from './metrics-server.js';
import { JobManagerService, SoloElection, type Election } from '../job-manager/job-manager-service.js';

/** The control-plane components one process can run. */
export type ComponentName = 'frontend' | 'job-manager' | 'global-manager' | 'discovery' | 'gateway';

/** Version reported by GET /api/v1/manager. */
export const VERSION = '0.1.0';

/** Longest wait of a /metrics scrape for a GlobalManager in another process. */
const LATENCY_QUERY_TIMEOUT_MS = 2000;

/** Something started that must be closed, in reverse order of starting. */
interface Closable {
  readonly name: string;
  close(): Promise<void>;
}

/** A set of running components sharing one store. */
export interface RunningControlPlane {
  /** The stores as this process's components read them (live state from the leader). */
  readonly stores: Stores;
  readonly token: string;
  /** FrontEnd URL, when the FrontEnd runs here. */
  readonly url: string | undefined;
  /** The services gateway's URL, when it runs here. */
  readonly gatewayUrl: string | undefined;
  /** The JobManager (leader or standby), when it runs here. */
  readonly jobManager: JobManagerService | undefined;
  /** How this process's components reach the leading JobManager. */
  readonly control: ControlLink;
  /** Where the control state was kept, for the banner. */
  readonly stateLocation: string;
  /** Round trips to the control log and snapshots so far (0 when no JobManager runs here). */
  stateRoundTrips(): number;
  readonly globalManager: GlobalManager | undefined;
  /** Deletes records past retention; runs with the GlobalManager. */
  readonly pruner: RetentionPruner | undefined;
  /** The `/metrics` endpoint of a process without a FrontEnd (config `metrics.port`), if served. */
  readonly metricsUrl: string | undefined;
  close(): Promise<void>;
}

function jobRules(config: Config): JobRules {
  return { ...config.job, maxBodyBytes: config.http.maxBodyBytes };
}

/** The control state's backend for this config (`auto` resolved). */
export function stateBackend(config: Config): 'memory' | 'file' | 'mongo' {
  const b = config.backends;
  return b.state === 'auto' ? (b.store === 'mongo' ? 'mongo' : 'memory') : b.state;
}

async function openDurable(config: Config): Promise<{ durable: DurableState; location: string }> {
  const b = config.backends;
  const kind = stateBackend(config);
  if (kind === 'file')
    return { durable: await openFileDurableState(b.stateDir), location: `directory ${b.stateDir}` };
  if (kind === 'mongo') {
    const durable = await openMongoDurableState(b.mongoUrl, { collectionPrefix: 'control' });
    return { durable, location: `MongoDB database ${mongoUrlDatabase(b.mongoUrl) ?? 'rswarm'} (control_*)` };
  }
  return { durable: createMemoryDurableState(), location: 'memory (lost on restart)' };
}

/**
 * The leader's queue-length probe: on the Redis of `backends.redisUrl` when the cluster runs on
 * Redis (`backends.queue: redis`); none on the embedded backends, where a service with a queue
 * target is warned about and its load counts as 0 (the probe connects only on its first read).
 */
function redisQueueProbe(config: Config, logger: Logger): QueueLengthProbe | undefined {
  if (config.backends.queue !== 'redis') return undefined;
  return new RedisQueueLengthProbe({
    redisUrl: config.backends.redisUrl,
    logger: componentLogger(logger, 'queue-probe'),
  });
}

/** The election of this JobManager: Redis lease among several, or solo. */
function electionFor(config: Config, id: string, logger: Logger): () => Election {
  const cl = config.cluster;
  const kind = cl.election === 'auto' ? (config.backends.queue === 'redis' ? 'redis' : 'solo') : cl.election;
  if (kind === 'solo') return () => new SoloElection();
  return () => {
    // The keeper needs its lease at construction; the lease connects asynchronously, so the
    // election wraps both and reports a failed connection as an election that never elects.
    let keeper: LeaseKeeper | undefined;
    let lease: Awaited<ReturnType<typeof createRedisLeaderLease>> | undefined;
    const listeners: { elected: ((t: number) => void)[]; deposed: ((r: string, t: number) => void)[] } = {
      elected: [],
      deposed: [],
    };
    const election: Election = {
      on: (event: 'elected' | 'deposed', l: never) => {
        (listeners[event] as unknown[]).push(l);
        return () => undefined;
      },
      run: async () => {
        lease = await createRedisLeaderLease({
          redisUrl: config.backends.redisUrl,
          name: config.backends.queueName,
          candidate: { id, valor: cl.valor },
          ttlMs: cl.leaseTtlMs,
          logger,
        });
        keeper = new LeaseKeeper({ lease, logger });
        keeper.on('elected', (t) => listeners.elected.forEach((l) => l(t)));
        keeper.on('deposed', (r, t) => listeners.deposed.forEach((l) => l(r, t)));
        await keeper.run();
      },
      close: async () => {
        await keeper?.close();
        await lease?.close();
      },
    };
    return election;
  };
}

/**
 * Starts the named components on one store. Components in separate processes share records
 * through MongoDB and reach the leading JobManager over its control link, so that is required
 * unless all four run here.
 */
export async function startControlPlane(
  config: Config,
  components: readonly ComponentName[],
  logger: Logger,
  options: {
    readonly token: string;
    readonly clock?: Clock;
    /** Wraps the stores every component here uses (benchmarks count calls with it). */
    readonly instrumentStores?: (stores: Stores) => Stores;
    /**
     * Where the leader reads queue-length targets (tests pass a fake); default: Redis at
     * `backends.redisUrl` when `backends.queue` is `redis`, else none (such services are warned about).
     */
    readonly queueProbe?: QueueLengthProbe;
  },
): Promise<RunningControlPlane> {
  const all = ['frontend', 'job-manager', 'global-manager', 'discovery'].every((c) =>
    components.includes(c as ComponentName),
  );
  if (!all && config.backends.store !== 'mongo') {
    throw new Error(
      'components in separate processes share records through MongoDB: set RSWARM_STORE=mongo (and RSWARM_QUEUE=redis for standby JobManagers)',
    );
  }
  const clock = options.clock ?? systemClock;
  const started: Closable[] = [];
  const raw = await createStores({ backend: config.backends.store, mongoUrl: config.backends.mongoUrl });
  started.push({ name: 'stores', close: () => raw.close() });
  const stores = options.instrumentStores ? options.instrumentStores(raw) : raw;
  const closeAll = async (): Promise<void> => {
    for (const c of started.reverse()) {
      await c.close().catch((err: unknown) => componentLogger(logger, c.name).error({ err }, 'close failed'));
    }
  };
  try {
    const cl = config.cluster;
    // The worker link's keys (docs/design/security.md), generated on first start when missing.
    const link = cl.linkSecurity === 'curve' ? controlPlaneKeys(cl.keysDir, cl.joinToken) : undefined;
    let jobManager: JobManagerService | undefined;
    let globalManager: GlobalManager | undefined;
    let pruner: RetentionPruner | undefined;
    let url: string | undefined;
    let control: ControlLink;
    let stateLocation = 'the leading JobManager';
    let stateRoundTrips = (): number => 0;
    const startedAt = clock.now();
    // One registry per process: every component here registers its metrics on it.
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    if (components.includes('job-manager')) {
      const jmLogger = componentLogger(logger, 'job-manager');
      const { durable, location } = await openDurable(config);
      stateLocation = location;
      stateRoundTrips = () => durable.roundTrips;
      started.push({ name: 'control-state', close: () => durable.close() });
      const dispatch = new ZmqDispatchLink(cl.managerEndpoint, link?.client);
      started.push({ name: 'dispatch-link', close: () => dispatch.close() });
      const id = cl.jobManagerId || `${hostname()}:${process.pid}`;
      const projection = new StoreProjection(stores, {
        onWorkersError: (err) => jmLogger.warn({ err }, 'writing worker records failed; written again later'),
      });
      // Closed after the JobManager (reverse order): the last worker records are written, if the
      // store answers within a few seconds (closing must not hang on a store that is down).
      started.push({
        name: 'worker-records',
        close: async () => {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            projection.flush(),
            new Promise((resolve) => (timer = setTimeout(resolve, 3000))),
          ]).finally(() => clearTimeout(timer));
          projection.close();
        },
      });
      const leader = new ControlLeader(
        {
          id,
          defaultStrategy: config.scheduler.strategy,
          agingPerSecond: config.scheduler.agingPerSecond,
          startBackoff: config.scheduler.startBackoff,
          neverFitsSettleMs: config.scheduler.neverFitsSettleMs,
          neverFits: config.scheduler.neverFits,
          snapshotEveryEntries: cl.snapshotEveryEntries,
        },
        {
          log: durable.log<LoggedCommands>(),
          snapshots: durable.snapshots,
          dispatch,
          records: projection,
          clock,
          logger: jmLogger,
          onRound: registerLeaderMetrics(metrics, (): ControlLeader => leader),
        },
      );
      const server = await ZmqControlServer.bind(
        cl.jobManagerEndpoint,
        (req) =>
          req.type === 'intent'
            ? leader.propose(req.intent)
            : Promise.resolve(answerQuery(leader, req.query)),
        jmLogger,
        link?.server,
      );
      started.push({ name: 'control-server', close: () => server.close() });
      const service = new JobManagerService(
        { safetyIntervalMs: cl.safetyIntervalMs },
        { leader, newElection: electionFor(config, id, jmLogger), logger: jmLogger },
      );
      await service.run();
      jobManager = service;
      started.push({ name: 'job-manager', close: () => service.close() });
      // The autoscaler acts only while this JobManager leads (it reads the leader's state).
      const autoscaler = Autoscaler.create(
        { tickMs: config.services.autoscaleTickMs, maxReplicas: config.services.maxReplicas },
        { leader, clock, logger: componentLogger(jmLogger, 'autoscaler') },
      );
      autoscaler.run();
      started.push({ name: 'autoscaler', close: () => autoscaler.close() });
      // The queue-length targets' input, also only while leading (docs/design/services.md).
      const queueProbe = options.queueProbe ?? redisQueueProbe(config, jmLogger);
      if (queueProbe && !options.queueProbe)
        started.push({ name: 'queue-probe', close: () => queueProbe.close() });
      const sampler = QueueLoadSampler.create(
        { tickMs: config.services.autoscaleTickMs },
        { leader, probe: queueProbe, clock, logger: componentLogger(jmLogger, 'queue-sampler') },
      );
      sampler.run();
      started.push({ name: 'queue-sampler', close: () => sampler.close() });
      control = new LocalControlLink(leader);
      // Components started below in this process send intents at once: wait (bounded) until the
      // leader has recovered. A JobManager alone in its process may be a standby: no wait.
      if (components.length > 1) await waitUntil(() => leader.getState() === 'leading', 30_000);
    } else {
      const client = new ZmqControlClient(
        [cl.jobManagerEndpoint, ...cl.standbyJobManagerEndpoints],
        logger,
        { timeoutMs: Math.max(10_000, cl.leaseTtlMs * 3) },
        link?.client,
      );
      control = client;
      started.push({ name: 'control-client', close: () => client.close() });
    }
    // What the FrontEnd and GlobalManager read: live jobs and workers from the leader, history
    // and events from the stores.
    const reads = leaderBackedStores(stores, control);
    if (components.includes('global-manager')) {
      const gm = await GlobalManager.create(
        {
          endpoint: cl.managerEndpoint,
          joinToken: link?.joinToken ?? cl.joinToken,
          ...(link ? { security: link.server, enrolEndpoint: cl.enrolEndpoint } : {}),
          heartbeatIntervalMs: cl.heartbeatIntervalMs,
          heartbeatTimeoutMs: cl.heartbeatTimeoutMs,
          usageSampleIntervalMs: cl.usageSampleIntervalMs,
          latencyRetentionMs: cl.latencyRetentionMs,
        },
        { stores: reads, control, clock, logger: componentLogger(logger, 'global-manager') },
      );
      gm.run();
      globalManager = gm;
      registerLinkMessageMetrics(metrics, () => gm.messages);
      if (!components.includes('frontend')) registerWorkerLatencyMetrics(metrics, () => gm.workerLatency());
      started.push({ name: 'global-manager', close: () => gm.close() });
      const p = new RetentionPruner(config.retention, {
        stores,
        control,
        clock,
        logger: componentLogger(logger, 'retention-pruner'),
      });
      p.run();
      pruner = p;
      started.push({ name: 'retention-pruner', close: () => p.close() });
    }
    if (components.includes('discovery')) {
      const dc = await Discovery.create(
        { endpoint: cl.discoveryEndpoint, ...(link ? { security: link.server } : {}) },
        { control, clock, logger: componentLogger(logger, 'discovery') },
      );
      dc.run();
      started.push({ name: 'discovery', close: () => dc.close() });
    }
    if (components.includes('frontend')) {
      const feLogger = componentLogger(logger, 'frontend');
      if (config.compat.allowAnonymous)
        feLogger.warn(
          { networks: ['loopback', ...config.compat.anonymousNetworks] },
          'compat.allowAnonymous is on: /RESTfulSwarm/FE/request_new_job and switch_scheduler accept requests without a token from these networks',
        );
      const feCommands = new ZmqWorkerCommandLink(cl.managerEndpoint, feLogger, link?.client);
      started.push({ name: 'fe-commands', close: () => feCommands.close() });
      // One poller of the leader's recent events for every event-stream client of this FrontEnd.
      const events = new EventHub({ control, clock, logger: feLogger });
      started.push({ name: 'fe-events', close: () => events.close() });
      const base = controlPlaneHandlers({
        stores: reads,
        control,
        clock,
        defaultStrategy: config.scheduler.strategy,
        components: async () =>
          describeComponents(await stores.components.list(), clock.now(), cl.announceIntervalMs),
        startedAt,
        retention: config.retention,
        // The GlobalManager's rows (round trips, last seen): from memory when it runs here, else
        // asked over the command link, cached and bounded (a failed query leaves the records' times).
        workerLatency: globalManager
          ? globalManager.workerLatency.bind(globalManager)
          : cachedWorkerRows(
              (ms) => feCommands.workerLatency(ms),
              () => clock.now(),
            ),
      });
      // Round trips to workers: read from the GlobalManager in this process, else asked of it
      // over the command link at each scrape (no answer: no series).
      const gmHere = globalManager;
      registerWorkerLatencyMetrics(metrics, () =>
        gmHere ? gmHere.workerLatency() : feCommands.workerLatency(LATENCY_QUERY_TIMEOUT_MS),
      );
      const app = createApp({
        token: options.token,
        metrics,
        clock,
        maxStreamMs: config.http.maxStreamMs,
        authFailures: config.http.authFailures,
        compat: config.compat,
        jobRules: jobRules(config),
        logger: feLogger,
        handlers: {
          ...base,
          ...servicesHandlers({ control, jobRules: jobRules(config) }),
          // Task and worker operations (migrate, update, checkpoint, drain-with-migrate, remove).
          ...operationsHandlers({
            stores: reads,
            control,
            commands: feCommands,
            clock,
            logger: feLogger,
            defaultStrategy: config.scheduler.strategy,
            operationTimeoutMs: cl.operationTimeoutMs,
            drain: base.drainWorker as NonNullable<typeof base.drainWorker>,
          }),
          streamEvents: (req) => eventStream({ control, hub: events, clock, store: stores.events }, req),
        },
        healthChecks: async () => ({
          store: await stores.ping(),
          leader: await control.query({ kind: 'status' }).then(
            (st) => (st.leader ? 'ok' : 'no leader'),
            (err: unknown) => (err instanceof Error ? err.message : String(err)),
          ),
        }),
      });
      const server: Server = await new Promise((resolve, reject) => {
        const s = app.listen(config.http.port, config.http.host, () => resolve(s));
        s.once('error', reject);
      });
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
      url = `http://${config.http.host}:${port}`;
      started.push({
        name: 'frontend',
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      });
    }
    let gatewayUrl: string | undefined;
    if (components.includes('gateway')) {
      const gwLogger = componentLogger(logger, 'gateway');
      // The gateway asks workers where replicas answer, through the GlobalManager, as a control peer.
      const gwCommands = new ZmqWorkerCommandLink(cl.managerEndpoint, gwLogger, link?.client);
      started.push({ name: 'gateway-commands', close: () => gwCommands.close() });
      const gw = await Gateway.create(
        {
          host: config.gateway.host,
          port: config.gateway.port,
          apiToken: options.token,
          coldStartBudgetMs: config.gateway.coldStartBudgetMs,
        },
        { directory: new ControlReplicaDirectory(control, gwCommands), clock, logger: gwLogger },
      );
      await gw.run();
      gatewayUrl = gw.url;
      registerGatewayMetrics(metrics, () => gw.stats());
      started.push({ name: 'gateway', close: () => gw.close() });
      const reporter = new LoadReporter(
        { source: `${hostname()}:${process.pid}:gateway:${gw.port}`, periodMs: config.gateway.loadReportMs },
        { load: () => gw.takeLoad(), ready: () => gw.readyReplicas(), control, clock, logger: gwLogger },
      );
      reporter.run();
      started.push({ name: 'gateway-load', close: () => reporter.close() });
    }
    let metricsUrl: string | undefined;
    if (!components.includes('frontend') && config.metrics.port > 0) {
      const served = await serveMetrics(metrics, config.metrics.host, config.metrics.port);
      metricsUrl = served.url;
      started.push({ name: 'metrics', close: () => served.close() });
    }
    // Announced last, so GET /api/v1/manager lists a component only once it serves.
    const presence = new ComponentPresence(
      stores.components,
      clock,
      {
        names: components,
        version: VERSION,
        host: hostname(),
        pid: process.pid,
        intervalMs: cl.announceIntervalMs,
      },
      componentLogger(logger, 'presence'),
    );
    await presence.run();
    // Closed first (the list is closed in reverse): the announcement goes before the components.
    started.push({ name: 'presence', close: () => presence.close() });
    return {
      stores: reads,
      token: options.token,
      url,
      gatewayUrl,
      jobManager,
      control,
      stateLocation,
      stateRoundTrips,
      globalManager,
      pruner,
      metricsUrl,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Polls `done` every 20 ms until it holds or `ms` pass (then the caller goes on regardless). */
async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
