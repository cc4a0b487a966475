import type Docker from 'dockerode';
import type { ContainerHardening } from '../../core/config/index.js';

/** Options of the /tmp tmpfs of a read-only root filesystem: writable, no devices, no setuid. */
const TMPFS_OPTIONS = 'rw,nosuid,nodev';

/**
 * The `docker create` body of a task with the worker's hardening applied: every capability
 * dropped and the configured set added back, `no-new-privileges`, a pids limit, json-file logs
 * rotated, and optionally a read-only root filesystem (with a tmpfs on /tmp) and a non-root
 * user. The cpuset, memory limit (swap equal to memory) and everything else in `spec` are kept.
 * See docs/design/security.md, "Container hardening".
 */
export function withHardening(
  spec: Docker.ContainerCreateOptions,
  h: ContainerHardening,
): Docker.ContainerCreateOptions {
  const host = spec.HostConfig ?? {};
  return {
    ...spec,
    ...(h.user !== '' ? { User: h.user } : {}),
    HostConfig: {
      ...host,
      CapDrop: ['ALL'],
      CapAdd: [...h.capabilities],
      SecurityOpt: h.noNewPrivileges ? ['no-new-privileges:true'] : [],
      // 0 is "unlimited" for the engine; -1 says so explicitly on every version.
      PidsLimit: h.pidsLimit > 0 ? h.pidsLimit : -1,
      // No swap beyond the memory limit (containerSpecOf already pairs them when limited).
      ...(host.Memory ? { MemorySwap: host.Memory } : {}),
      LogConfig: {
        Type: 'json-file',
        Config: { 'max-size': h.logMaxSize, 'max-file': String(h.logMaxFiles) },
      },
      ...(h.readOnlyRootFs
        ? { ReadonlyRootfs: true, Tmpfs: { '/tmp': `${TMPFS_OPTIONS},size=${h.tmpSize}` } }
        : {}),
    },
  };
}
