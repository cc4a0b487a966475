/**
 * An in-process control plane (FrontEnd, JobManager, GlobalManager, Discovery on the in-memory
 * store and queue, every port ephemeral) with one simulated worker per fleet entry, for
 * `rswarm stress … --local-fleet`: real HTTP → JobManager → GlobalManager → worker path, no
 * Docker. Workers start in batches; the time they took to join is reported.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../core/transport/free-port.js';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { context } from 'zeromq';
import { loadConfig } from '../core/config/index.js';
import { componentLogger, createLogger, type Logger } from '../core/log/logger.js';
import type { FleetWorker } from '../stress-client/workload.js';
import { startWorker } from '../worker/main.js';
import type { WorkerAgent } from '../worker/worker-agent.js';
import { startControlPlane, type RunningControlPlane } from './control-plane.js';
import { workerLinkOptions } from './worker-link.js';

/** A running local fleet. */
export interface LocalFleet {
  readonly url: string;
  readonly token: string;
  readonly plane: RunningControlPlane;
  /** Seconds from the first worker start until every worker had joined. */
  readonly joinSeconds: number;
  close(): Promise<void>;
}

/** Workers started at once (each opens two ZeroMQ sockets and sends a join). */
const START_BATCH = 100;

/**
 * File descriptors one simulated worker costs in this process (measured: about 6 — two ZeroMQ
 * sockets with their mailboxes, plus the GlobalManager's and Discovery's ends of each connection).
 */
export const FDS_PER_WORKER = 6;

/** Descriptors kept for the control plane, HTTP and files. */
const FD_RESERVE = 400;

/** This process's open-files limit (soft), from /proc on Linux; undefined elsewhere. */
export function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The largest fleet the open-files limit allows, or undefined when unknown. */
export function maxLocalFleet(limit = openFilesLimit()): number | undefined {
  return limit === undefined ? undefined : Math.max(0, Math.floor((limit - FD_RESERVE) / FDS_PER_WORKER));
}

/** Closes `p` or gives up after `ms` (a wedged worker must not hang the command). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/**
 * Starts the control plane and `fleet` as simulated workers, waiting until all have joined.
 * @param logLevel pino level for the components (written to stderr); `silent` by default
 */
export async function startLocalFleet(
  fleet: readonly FleetWorker[],
  options: {
    readonly logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
    readonly joinTimeoutMs?: number;
  } = {},
): Promise<LocalFleet> {
  const max = maxLocalFleet();
  if (max !== undefined && fleet.length > max) {
    throw new Error(
      `${fleet.length} simulated workers need about ${fleet.length * FDS_PER_WORKER + FD_RESERVE} open files; ` +
        `this process may open ${openFilesLimit()} (ulimit -n), enough for ${max} workers: raise ulimit -n or use --virtual`,
    );
  }
  // Every simulated worker holds two sockets in this process; libzmq's default cap is 1023.
  context.maxSockets = Math.max(context.maxSockets, fleet.length * 2 + 64);
  const level = options.logLevel ?? 'silent';
  const logger: Logger = createLogger(level, pino.destination(2));
  // A large fleet heartbeats less often, so the GlobalManager is not busy with liveness alone.
  const heartbeatIntervalMs = fleet.length > 500 ? 5000 : 1000;
  const token = randomBytes(18).toString('base64url');
  const keysDir = mkdtempSync(join(tmpdir(), 'rswarm-keys-'));
  const config = loadConfig({
    env: {},
    overrides: {
      logLevel: level,
      http: { host: '127.0.0.1', port: await freePort(), token },
      backends: { store: 'memory', queue: 'memory' },
      // The whole fleet has joined before the first job comes (as in the virtual-time
      // simulator): a job that can never fit fails at once, no wait for more workers.
      scheduler: { neverFitsSettleMs: 0 },
      cluster: {
        managerEndpoint: `tcp://127.0.0.1:${await freePort()}`,
        enrolEndpoint: `tcp://127.0.0.1:${await freePort()}`,
        discoveryEndpoint: `tcp://127.0.0.1:${await freePort()}`,
        jobManagerEndpoint: `tcp://127.0.0.1:${await freePort()}`,
        heartbeatIntervalMs,
        heartbeatTimeoutMs: heartbeatIntervalMs * 6,
        usageSampleIntervalMs: 60_000,
        // The fleet's keys, keyring and join token live and die with it.
        keysDir,
      },
    },
  });
  const plane = await startControlPlane(
    config,
    ['frontend', 'job-manager', 'global-manager', 'discovery'],
    logger,
    { token },
  );
  const workers: WorkerAgent[] = [];
  const close = async (): Promise<void> => {
    await within(Promise.all(workers.map((w) => w.close())), 15_000);
    await within(plane.close(), 15_000);
    rmSync(keysDir, { recursive: true, force: true });
  };
  try {
    const t0 = performance.now();
    for (let i = 0; i < fleet.length; i += START_BATCH) {
      const batch = fleet.slice(i, i + START_BATCH);
      workers.push(
        ...(await Promise.all(
          batch.map((f) =>
            startWorker(
              {
                workerId: f.id,
                ...workerLinkOptions(config, f.id),
                managerEndpoint: config.cluster.managerEndpoint,
                discoveryEndpoint: config.cluster.discoveryEndpoint,
                heartbeatIntervalMs,
                runtime: 'simulated',
                coreIds: Array.from({ length: f.cores }, (_, k) => k),
                memoryBytes: f.memoryBytes,
              },
              componentLogger(logger, 'worker', { worker: f.id }),
            ),
          ),
        )),
      );
    }
    const deadline = Date.now() + (options.joinTimeoutMs ?? 60_000 + fleet.length * 50);
    let ready = 0;
    for (;;) {
      ready = (await plane.stores.workers.list()).filter((w) => w.state === 'ready').length;
      if (ready >= fleet.length) break;
      if (Date.now() > deadline) {
        throw new Error(`only ${ready} of ${fleet.length} simulated workers joined in time`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return { url: plane.url as string, token, plane, joinSeconds: (performance.now() - t0) / 1000, close };
  } catch (err) {
    await close();
    throw err;
  }
}
