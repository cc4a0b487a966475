import { systemClock } from '../core/clock/clock.js';
import type { Logger } from '../core/log/logger.js';
import type { ContainerRuntime } from './container-runtime.js';
import { DockerRuntime } from './docker-runtime.js';
import { SimulatedRuntime } from './simulated-runtime.js';
import { WorkerAgent } from './worker-agent.js';
import { compileWorkerOptions, type WorkerOptionsInput } from './worker-options.js';

/**
 * Starts one worker: builds its runtime (Docker or simulated) on the system clock, creates the
 * agent and runs it. Resolves once the join is queued; await `agent.whenClosed()` to wait for
 * the end, call `agent.close()` to stop.
 * @throws ConfigError for invalid options; an error when the Docker engine does not answer
 */
export async function startWorker(options: WorkerOptionsInput, logger: Logger): Promise<WorkerAgent> {
  const o = compileWorkerOptions(options);
  const runtime: ContainerRuntime =
    o.runtime === 'docker'
      ? await DockerRuntime.create({
          workerId: o.workerId,
          clusterId: o.clusterId,
          dockerHost: o.dockerHost,
          pullTimeoutMs: o.pullTimeoutMs,
          stopTimeoutSeconds: o.stopTimeoutSeconds,
          hardening: o.containers,
          startRetry: { attempts: o.startRetryAttempts, minMs: o.startRetryMinMs, maxMs: o.startRetryMaxMs },
          volumeAllowList: o.volumeAllowList,
          advertiseAddress: o.advertiseAddress,
          clock: systemClock,
          logger,
        })
      : new SimulatedRuntime(systemClock);
  const agent = WorkerAgent.create(options, { runtime, clock: systemClock, logger });
  await agent.run();
  return agent;
}
