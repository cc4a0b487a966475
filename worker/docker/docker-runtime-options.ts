import type Docker from 'dockerode';
import type { Clock } from '../../core/clock/clock.js';
import type { ContainerHardening } from '../../core/config/index.js';
import type { Logger } from '../../core/log/logger.js';
import type { StartRetryPolicy } from '../start-retry.js';

/** Options of the Docker runtime (worker/docker-runtime.ts). */
export interface DockerRuntimeOptions {
  readonly workerId: string;
  /**
   * The cluster id (core/security/cluster-id.ts): labels every container and network, and only
   * containers and networks with it are listed, adopted, reported, removed and pruned (with the
   * worker id for containers). "" or absent: only those without a cluster label.
   */
  readonly clusterId?: string;
  /** Engine address (`unix:///var/run/docker.sock`, `tcp://host:2375`); empty: dockerode's default. */
  readonly dockerHost?: string;
  /** A ready client instead of `dockerHost` (tests). */
  readonly docker?: Docker;
  /** Longest wait for pulling a missing image, in ms. */
  readonly pullTimeoutMs: number;
  /** Grace between SIGTERM and SIGKILL on stop, in s. */
  readonly stopTimeoutSeconds: number;
  /** How task containers are confined. @defaultValue the schema's defaults (hardened) */
  readonly hardening?: ContainerHardening;
  /** Retries of transient start errors. @defaultValue {@link DEFAULT_START_RETRY} */
  readonly startRetry?: StartRetryPolicy;
  /** Host directories volumes may resolve into (see resolveVolumes); none when absent. */
  readonly volumeAllowList?: readonly string[];
  /**
   * The address the gateway reaches this worker's published ports at, for ports bound to every
   * address. @defaultValue '127.0.0.1' (the gateway on the same host)
   */
  readonly advertiseAddress?: string;
  readonly clock: Clock;
  readonly logger: Logger;
}
