import { freePort } from '../../core/transport/free-port.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerLinkOptions } from '../../cli/worker-link.js';
import { loadConfig, type ConfigInput } from '../../core/config/index.js';
import { silentLogger, createLogger } from '../../core/log/logger.js';
import { startControlPlane, type RunningControlPlane } from '../../cli/control-plane.js';
import { startWorker } from '../../worker/main.js';
import type { WorkerAgent } from '../../worker/worker-agent.js';
import type { WorkerOptionsInput } from '../../worker/worker-options.js';
import { SERVICES, dropQueueKeys, dropTestDatabase, mongoUrlFor } from './services.js';

export { freePort };

/** Loopback endpoints for one control plane, all on fresh ports. */
export async function freshEndpoints(): Promise<{
  http: number;
  manager: string;
  enrol: string;
  discovery: string;
  jobManager: string;
}> {
  return {
    http: await freePort(),
    manager: `tcp://127.0.0.1:${await freePort()}`,
    enrol: `tcp://127.0.0.1:${await freePort()}`,
    discovery: `tcp://127.0.0.1:${await freePort()}`,
    jobManager: `tcp://127.0.0.1:${await freePort()}`,
  };
}

/** A control plane in this process plus workers, and a small authenticated HTTP client. */
export interface Cluster {
  readonly plane: RunningControlPlane;
  readonly workers: WorkerAgent[];
  readonly url: string;
  readonly token: string;
  readonly config: ReturnType<typeof loadConfig>;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }>;
  addWorker(options: Partial<WorkerOptionsInput> & { workerId: string }): Promise<WorkerAgent>;
  close(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Real MongoDB and Redis (from MONGO_URL / REDIS_URL) instead of the in-memory adapters. */
  readonly realBackends?: boolean;
  /** With `realBackends`: this MongoDB server instead of MONGO_URL's (its database is replaced). */
  readonly mongoServer?: string;
  readonly overrides?: ConfigInput;
  readonly workers?: readonly (Partial<WorkerOptionsInput> & { workerId: string })[];
  readonly verbose?: boolean;
  /** Wraps the stores the components use (see startControlPlane). */
  readonly instrumentStores?: Parameters<typeof startControlPlane>[3]['instrumentStores'];
  /** Also run the services gateway (on a free port). */
  readonly gateway?: boolean;
  /** Where the leader reads queue-length targets (see startControlPlane). */
  readonly queueProbe?: Parameters<typeof startControlPlane>[3]['queueProbe'];
}

/** Starts FrontEnd, JobManager, GlobalManager and Discovery in process, then the workers. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const keysDir = mkdtempSync(join(tmpdir(), 'rswarm-keys-'));
  const db = `rswarm_e2e_${randomUUID().slice(0, 8)}`;
  const mongoUrl = mongoUrlFor(db, options.mongoServer);
  // A free port is only free until something else takes it (an outgoing connection's ephemeral
  // port, another process), so a start that loses that race is repeated on fresh ports; the failed
  // start closed what it had opened.
  for (let attempt = 1; ; attempt++) {
    const ep = await freshEndpoints();
    try {
      return await startClusterOn(ep, keysDir, db, mongoUrl, options);
    } catch (err) {
      if (
        attempt >= 4 ||
        !/EADDRINUSE|address already in use/i.test(String((err as Error)?.message ?? err))
      ) {
        rmSync(keysDir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

async function startClusterOn(
  ep: Awaited<ReturnType<typeof freshEndpoints>>,
  keysDir: string,
  db: string,
  mongoUrl: string,
  options: ClusterOptions,
): Promise<Cluster> {
  const config = loadConfig({
    env: {},
    overrides: {
      logLevel: options.verbose ? 'debug' : 'silent',
      http: { port: ep.http, token: 'e2e-token' },
      gateway: { port: 0 },
      backends: options.realBackends
        ? {
            store: 'mongo',
            queue: 'redis',
            mongoUrl,
            redisUrl: SERVICES.redisUrl,
            queueName: db,
            dockerHost: SERVICES.dockerHost,
          }
        : { store: 'memory', queue: 'memory', dockerHost: SERVICES.dockerHost },
      ...(options.overrides ?? {}),
      // Test fleets are complete when their jobs come: a job that can never fit fails soon (the
      // default 30 s wait for more workers would only slow the tests).
      scheduler: { neverFitsSettleMs: 300, ...(options.overrides?.scheduler ?? {}) },
      cluster: {
        heartbeatIntervalMs: 200,
        heartbeatTimeoutMs: 1500,
        safetyIntervalMs: 60_000,
        usageSampleIntervalMs: 300,
        // Each cluster its own link keys, keyring and join token.
        keysDir,
        ...(options.overrides?.cluster ?? {}),
        managerEndpoint: ep.manager,
        enrolEndpoint: ep.enrol,
        discoveryEndpoint: ep.discovery,
        jobManagerEndpoint: ep.jobManager,
      },
    },
  });
  const logger = options.verbose ? createLogger('debug') : silentLogger();
  const plane = await startControlPlane(
    config,
    [
      'frontend',
      'job-manager',
      'global-manager',
      'discovery',
      ...(options.gateway ? (['gateway'] as const) : []),
    ],
    logger,
    {
      token: 'e2e-token',
      ...(options.instrumentStores ? { instrumentStores: options.instrumentStores } : {}),
      ...(options.queueProbe ? { queueProbe: options.queueProbe } : {}),
    },
  );
  const workers: WorkerAgent[] = [];
  const addWorker = async (o: Partial<WorkerOptionsInput> & { workerId: string }): Promise<WorkerAgent> => {
    const w = await startWorker(
      {
        managerEndpoint: ep.manager,
        discoveryEndpoint: ep.discovery,
        heartbeatIntervalMs: 200,
        runtime: 'simulated',
        coreIds: [0, 1, 2, 3],
        memoryBytes: 4 * 1024 ** 3,
        dockerHost: SERVICES.dockerHost,
        ...workerLinkOptions(config, o.workerId),
        ...o,
      },
      logger,
    );
    workers.push(w);
    return w;
  };
  for (const o of options.workers ?? []) await addWorker(o);
  const url = plane.url as string;
  return {
    plane,
    workers,
    url,
    token: 'e2e-token',
    config,
    addWorker,
    async api(method, path, body) {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: 'Bearer e2e-token',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return {
        status: res.status,
        text,
        body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined,
      };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      if (options.realBackends) await dropTestDatabase(mongoUrl);
      await plane.close();
      rmSync(keysDir, { recursive: true, force: true });
      if (options.realBackends) await dropQueueKeys(db);
    },
  };
}

export { dropQueueKeys };

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}
