import { join } from 'node:path';
import { cpus, totalmem, hostname } from 'node:os';
import Docker from 'dockerode';
import type { Config } from '../core/config/index.js';
import { parseCpuset, parseMemorySize } from '../core/job/index.js';
import type { Logger } from '../core/log/logger.js';
import { controlPlaneClusterId } from '../core/security/index.js';
import type { WorkerOptionsInput } from '../worker/worker-options.js';
import { splitHostCores } from './host-core-split.js';
import { workerLinkOptions } from './worker-link.js';

/** True when a Docker engine answers within `timeoutMs`. */
export async function dockerReachable(dockerHost: string, timeoutMs = 1500): Promise<boolean> {
  const docker = dockerHost ? new Docker({ host: dockerHost }) : new Docker();
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([
    docker.ping().then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
}

/**
 * Options of the local workers of the all-in-one mode. Docker workers share the host: each gets
 * its own slice of the host's cores (splitHostCores: never one core in two workers' books; with
 * fewer cores than workers, fewer workers start and `warn` says so in one line) and an equal share
 * of memory. Simulated workers get the configured size each. All carry the cluster id, created in
 * `cluster.keysDir` here if the control plane has not yet (plaintext link).
 */
export function localWorkerOptions(
  config: Config,
  runtime: 'docker' | 'simulated',
  count: number,
  warn: (line: string) => void = (line) => console.warn(line),
  hostCores: readonly number[] = cpus().map((_c, id) => id),
): WorkerOptionsInput[] {
  controlPlaneClusterId(config.cluster.keysDir, config.cluster.id);
  const slices = runtime === 'docker' ? splitHostCores(hostCores, count) : [];
  if (runtime === 'docker' && slices.length < count)
    warn(
      `${count} local Docker workers asked for, but the host has ${hostCores.length} core(s): starting ${slices.length}, one core each`,
    );
  const workers = runtime === 'docker' ? slices.length : count;
  const base = {
    joinToken: config.cluster.joinToken,
    managerEndpoint: config.cluster.managerEndpoint,
    discoveryEndpoint: config.cluster.discoveryEndpoint,
    heartbeatIntervalMs: config.cluster.heartbeatIntervalMs,
    dockerHost: config.backends.dockerHost,
    containers: config.containers,
    // Workers on the control plane's host: the volumes the submission check allows, resolved.
    volumeAllowList: config.job.volumeAllowList,
    keptLogLines: config.worker.keptLogLines,
    keptLogTasks: config.worker.keptLogTasks,
    keptLogBytes: config.worker.keptLogBytes,
    runtime,
  } as const;
  // Kept task output survives a restart of the all-in-one when its control state does.
  const keptLogDir = (id: string): string =>
    config.worker.keptLogDir
      ? join(config.worker.keptLogDir, id)
      : config.backends.state === 'file'
        ? join(config.backends.stateDir, 'kept-logs', id)
        : '';
  return Array.from({ length: workers }, (_, i) => {
    if (runtime === 'docker') {
      return {
        ...base,
        ...workerLinkOptions(config, `local-${i + 1}`),
        workerId: `local-${i + 1}`,
        keptLogDir: keptLogDir(`local-${i + 1}`),
        coreIds: slices[i] ?? [],
        memoryBytes: Math.floor(totalmem() / 2 / Math.max(workers, 1) / 1048576) * 1048576,
      };
    }
    const cores = config.allInOne.simulatedCores;
    return {
      ...base,
      ...workerLinkOptions(config, `sim-${i + 1}`),
      workerId: `sim-${i + 1}`,
      keptLogDir: keptLogDir(`sim-${i + 1}`),
      coreIds: Array.from({ length: cores }, (_c, id) => id),
      memoryBytes: parseMemorySize(config.allInOne.simulatedMemory) ?? 64 * 1024 ** 3,
    };
  });
}

/** Options of a standalone worker (`rswarm worker`), from the `worker` config section. */
export function standaloneWorkerOptions(config: Config, logger: Logger): WorkerOptionsInput {
  const w = config.worker;
  const coreIds = w.cpuset ? parseCpuset(w.cpuset) : undefined;
  if (w.cpuset && !coreIds) throw new Error(`worker.cpuset "${w.cpuset}" is not a cpuset list such as "0-3"`);
  const memoryBytes = w.memory ? parseMemorySize(w.memory) : undefined;
  if (w.memory && memoryBytes === undefined)
    throw new Error(`worker.memory "${w.memory}" is not a size such as "8g"`);
  const workerId = w.id || hostname().replace(/[^A-Za-z0-9_.-]/g, '-');
  logger.info({ workerId, runtime: w.runtime }, 'worker options');
  return {
    workerId,
    ...workerLinkOptions(config, workerId),
    managerEndpoint: config.cluster.managerEndpoint,
    discoveryEndpoint: config.cluster.discoveryEndpoint,
    heartbeatIntervalMs: config.cluster.heartbeatIntervalMs,
    dockerHost: config.backends.dockerHost,
    containers: config.containers,
    volumeAllowList: w.volumeAllowList,
    advertiseAddress: w.advertiseAddress,
    keptLogLines: w.keptLogLines,
    keptLogTasks: w.keptLogTasks,
    keptLogBytes: w.keptLogBytes,
    keptLogDir: w.keptLogDir,
    runtime: w.runtime,
    ...(coreIds ? { coreIds } : {}),
    ...(memoryBytes ? { memoryBytes } : {}),
  };
}
