import { cpus } from 'node:os';
import type { ConfigInput } from '../../core/config/index.js';
import { dockerClientFor } from '../../worker/docker-runtime.js';
import { startCluster, waitFor, type Cluster } from './control-plane-harness.js';
import { removeWorkerLeftovers } from './docker-leftovers.js';
import { SERVICES } from './services.js';

/**
 * The command of a busybox `httpd` replica listening on 8080 in the foreground, serving one page
 * whose text is `page` (shell-expanded in the container, so `$HOSTNAME` names it).
 */
export function httpdServing(page: string): string[] {
  return [
    'sh',
    '-c',
    `mkdir -p /tmp/www && echo "${page}" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`,
  ];
}

/** Options of {@link startDockerGatewayCluster}. */
export interface DockerGatewayClusterOptions {
  /** Host cores the Docker worker books; default every core of this machine. */
  readonly coreIds?: readonly number[];
  readonly overrides?: ConfigInput;
}

/**
 * A control plane on the real services (FerretDB, Redis) with the gateway and one Docker worker
 * named `workerId` (1 GiB), resolved once that worker is ready: the set-up of every services test
 * on Docker. Close it with {@link closeDockerGatewayCluster}.
 */
export async function startDockerGatewayCluster(
  workerId: string,
  options: DockerGatewayClusterOptions = {},
): Promise<Cluster> {
  const c = await startCluster({
    realBackends: true,
    gateway: true,
    ...(options.overrides ? { overrides: options.overrides } : {}),
    workers: [
      {
        workerId,
        runtime: 'docker',
        coreIds: [...(options.coreIds ?? cpus().map((_c, i) => i))],
        memoryBytes: 1024 * 1024 ** 2,
      },
    ],
  });
  await waitFor('the docker worker joined', async () =>
    ((await c.api('GET', '/api/v1/workers')).body as { state: string }[]).some((w) => w.state === 'ready')
      ? true
      : undefined,
  );
  return c;
}

/**
 * Deletes `services` through the API (errors ignored: a test may have deleted them), closes the
 * cluster, then removes any container the worker left behind and those containers' job networks,
 * so no run leaks containers or networks onto the shared engine. Tolerates a cluster that never started.
 */
export async function closeDockerGatewayCluster(
  c: Cluster | undefined,
  workerId: string,
  services: readonly string[] = [],
): Promise<void> {
  for (const s of services) await c?.api('DELETE', `/api/v1/services/${s}`).catch(() => undefined);
  await c?.close();
  await removeWorkerLeftovers(dockerClientFor(SERVICES.dockerHost), [workerId]);
}
