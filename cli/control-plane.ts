import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../core/clock/clock.js';
import type { Config } from '../core/config/index.js';
import { ComponentPresence, describeComponents } from '../core/control/index.js';
import type { JobRules } from '../core/job/index.js';
import type { Logger } from '../core/log/logger.js';
import type { JobQueue } from '../core/queue/job-queue.js';
import { createBullmqJobQueue, createMemoryJobQueue } from '../core/queue/index.js';
import { createStores, type Stores } from '../core/store/index.js';
import {
  ZmqDispatchLink,
  ZmqNudgeLink,
  ZmqNudgeListener,
  ZmqWorkerCommandLink,
} from '../core/transport/index.js';
import { Discovery } from '../discovery/discovery.js';
import { createApp } from '../frontend/create-app.js';
import { controlPlaneHandlers } from '../frontend/control-plane-handlers.js';
import { operationsHandlers } from '../frontend/operations-handlers.js';
import { GlobalManager } from '../global-manager/global-manager.js';
import { RetentionPruner } from '../global-manager/retention-pruner.js';
import { JobManager } from '../job-manager/job-manager.js';

/** The control-plane components one process can run. */
export type ComponentName = 'frontend' | 'job-manager' | 'global-manager' | 'discovery';

/** Version reported by GET /api/v1/manager. */
export const VERSION = '0.1.0';

/** Something started that must be closed, in reverse order of starting. */
interface Closable {
  readonly name: string;
  close(): Promise<void>;
}

/** A set of running components sharing one store and one queue. */
export interface RunningControlPlane {
  readonly stores: Stores;
  readonly queue: JobQueue;
  readonly token: string;
  /** FrontEnd URL, when the FrontEnd runs here. */
  readonly url: string | undefined;
  readonly jobManager: JobManager | undefined;
  readonly globalManager: GlobalManager | undefined;
  /** Deletes records past retention; runs with the GlobalManager. */
  readonly pruner: RetentionPruner | undefined;
  close(): Promise<void>;
}

function jobRules(config: Config): JobRules {
  return { ...config.job, maxBodyBytes: config.http.maxBodyBytes };
}

/**
 * Starts the named components on one store and one queue. Components in separate processes
 * share state only through MongoDB and Redis, so that is required unless all four run here.
 */
export async function startControlPlane(
  config: Config,
  components: readonly ComponentName[],
  logger: Logger,
  options: { readonly token: string; readonly clock?: Clock },
): Promise<RunningControlPlane> {
  const all = ['frontend', 'job-manager', 'global-manager', 'discovery'].every((c) =>
    components.includes(c as ComponentName),
  );
  if (!all && (config.backends.store !== 'mongo' || config.backends.queue !== 'redis')) {
    throw new Error(
      'components in separate processes share state through MongoDB and Redis: set RSWARM_STORE=mongo and RSWARM_QUEUE=redis',
    );
  }
  const clock = options.clock ?? systemClock;
  const started: Closable[] = [];
  const stores = await createStores({ backend: config.backends.store, mongoUrl: config.backends.mongoUrl });
  started.push({ name: 'stores', close: () => stores.close() });
  const queue =
    config.backends.queue === 'redis'
      ? await createBullmqJobQueue({
          redisUrl: config.backends.redisUrl,
          name: config.backends.queueName,
          logger,
        })
      : createMemoryJobQueue();
  started.push({ name: 'queue', close: () => queue.close() });
  const closeAll = async (): Promise<void> => {
    for (const c of started.reverse()) {
      await c.close().catch((err: unknown) => logger.error({ err, component: c.name }, 'close failed'));
    }
  };
  try {
    const cl = config.cluster;
    let jobManager: JobManager | undefined;
    let globalManager: GlobalManager | undefined;
    let pruner: RetentionPruner | undefined;
    let url: string | undefined;
    const startedAt = clock.now();
    if (components.includes('job-manager')) {
      const nudges = await ZmqNudgeListener.bind(cl.jobManagerEndpoint, logger);
      const gm = new ZmqDispatchLink(cl.managerEndpoint);
      started.push(
        { name: 'nudge-listener', close: () => nudges.close() },
        { name: 'dispatch-link', close: () => gm.close() },
      );
      jobManager = new JobManager(
        {
          defaultStrategy: config.scheduler.strategy,
          agingPerSecond: config.scheduler.agingPerSecond,
          safetyIntervalMs: cl.safetyIntervalMs,
          bookingGraceMs: cl.bookingGraceMs,
        },
        { stores, queue, gm, nudges, clock, logger: logger.child({ component: 'job-manager' }) },
      );
      await jobManager.run();
      const jm = jobManager;
      started.push({ name: 'job-manager', close: () => jm.close() });
    }
    if (components.includes('global-manager')) {
      const nudges = new ZmqNudgeLink(cl.jobManagerEndpoint);
      started.push({ name: 'gm-nudges', close: () => nudges.close() });
      const gm = await GlobalManager.create(
        {
          endpoint: cl.managerEndpoint,
          joinToken: cl.joinToken,
          heartbeatIntervalMs: cl.heartbeatIntervalMs,
          heartbeatTimeoutMs: cl.heartbeatTimeoutMs,
          usageSampleIntervalMs: cl.usageSampleIntervalMs,
        },
        { stores, nudges, clock, logger: logger.child({ component: 'global-manager' }) },
      );
      gm.run();
      globalManager = gm;
      started.push({ name: 'global-manager', close: () => gm.close() });
      const p = new RetentionPruner(config.retention, {
        stores,
        clock,
        logger: logger.child({ component: 'retention-pruner' }),
      });
      p.run();
      pruner = p;
      started.push({ name: 'retention-pruner', close: () => p.close() });
    }
    if (components.includes('discovery')) {
      const nudges = new ZmqNudgeLink(cl.jobManagerEndpoint);
      const dispatch = new ZmqDispatchLink(cl.managerEndpoint);
      started.push(
        { name: 'dc-nudges', close: () => nudges.close() },
        { name: 'dc-dispatch', close: () => dispatch.close() },
      );
      const dc = await Discovery.create(
        { endpoint: cl.discoveryEndpoint },
        { stores, nudges, dispatch, clock, logger: logger.child({ component: 'discovery' }) },
      );
      dc.run();
      started.push({ name: 'discovery', close: () => dc.close() });
    }
    if (components.includes('frontend')) {
      const feLogger = logger.child({ component: 'frontend' });
      const feDispatch = new ZmqDispatchLink(cl.managerEndpoint);
      const feCommands = new ZmqWorkerCommandLink(cl.managerEndpoint, feLogger);
      started.push(
        { name: 'fe-dispatch', close: () => feDispatch.close() },
        { name: 'fe-commands', close: () => feCommands.close() },
      );
      const base = controlPlaneHandlers({
        stores,
        queue,
        clock,
        defaultStrategy: config.scheduler.strategy,
        components: async () =>
          describeComponents(await stores.components.list(), clock.now(), cl.announceIntervalMs),
        startedAt,
        retention: config.retention,
      });
      const app = createApp({
        token: options.token,
        jobRules: jobRules(config),
        logger: feLogger,
        handlers: {
          ...base,
          // Task and worker operations (migrate, update, checkpoint, drain-with-migrate, remove).
          ...operationsHandlers({
            stores,
            queue,
            dispatch: feDispatch,
            commands: feCommands,
            clock,
            logger: feLogger,
            defaultStrategy: config.scheduler.strategy,
            operationTimeoutMs: cl.operationTimeoutMs,
            drain: base.drainWorker as NonNullable<typeof base.drainWorker>,
          }),
        },
        healthChecks: async () => ({ store: await stores.ping(), queue: await queue.ping() }),
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
      logger.child({ component: 'presence' }),
    );
    await presence.run();
    // Closed first (the list is closed in reverse): the announcement goes before the components.
    started.push({ name: 'presence', close: () => presence.close() });
    return { stores, queue, token: options.token, url, jobManager, globalManager, pruner, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
