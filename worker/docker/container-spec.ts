import type Docker from 'dockerode';
import { formatCpuset } from '../../core/job/cpuset.js';
import type { TaskAssignment } from '../../core/protocol/index.js';
import { taskLabels } from '../container-runtime.js';

/** Docker's spelling of a container port: "80" means "80/tcp". */
export function portKey(containerPort: string): string {
  return containerPort.includes('/') ? containerPort : `${containerPort}/tcp`;
}

/**
 * The `docker create` body for one assignment: its name and labels, the booked cpuset and memory
 * (swap equal to memory, so the limit is not doubled by swap), ports, bind mounts, environment,
 * command (null keeps the image's default) and the job network.
 */
export function containerSpecOf(
  a: TaskAssignment,
  workerId: string,
  /** The network id (or name) to attach to, as resolved by JobNetworks; defaults to the name. */
  networkRef: string | undefined = a.network?.name,
  /**
   * The cluster id label ("" for none) and the engine name when the assignment's name is held by
   * another cluster's container: the plain name is then the container's DNS alias on the job network.
   */
  scope: { readonly clusterId?: string; readonly name?: string } = {},
): Docker.ContainerCreateOptions {
  const name = scope.name ?? a.containerName;
  const alias =
    networkRef && name !== a.containerName
      ? { NetworkingConfig: { EndpointsConfig: { [networkRef]: { Aliases: [a.containerName] } } } }
      : {};
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of a.ports) {
    const key = portKey(p.containerPort);
    exposed[key] = {};
    // Port 0 asks the engine for an ephemeral host port.
    (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort === 0 ? '' : String(p.hostPort) });
  }
  const memory = a.memoryBytes > 0 ? { Memory: a.memoryBytes, MemorySwap: a.memoryBytes } : {};
  return {
    name,
    Image: a.image,
    ...(a.command ? { Cmd: a.command } : {}),
    Env: Object.entries(a.env).map(([k, v]) => `${k}=${v}`),
    Labels: taskLabels(a, workerId, scope.clusterId ?? ''),
    ExposedPorts: exposed,
    HostConfig: {
      CpusetCpus: formatCpuset(a.coreIds),
      ...memory,
      PortBindings: bindings,
      Binds: a.volumes.map((v) => `${v.hostPath}:${v.containerPath}:${v.readOnly ? 'ro' : 'rw'}`),
      ...(networkRef ? { NetworkMode: networkRef } : {}),
    },
    ...alias,
  };
}
