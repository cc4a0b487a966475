import { z } from 'zod';

/**
 * Capabilities a task container keeps; every other one is dropped (`CapDrop: ALL`). Docker's
 * default set has 14; these 7 are what ordinary images need to start and run as designed:
 * - `CHOWN`, `DAC_OVERRIDE`, `FOWNER`: entrypoints running as root that prepare their own files
 *   (chown a data directory, write a file owned by another user, chmod);
 * - `SETUID`, `SETGID`: switching to an unprivileged user (su-exec, gosu, nginx/postgres workers);
 * - `NET_BIND_SERVICE`: listening on a port below 1024 inside the container;
 * - `KILL`: signalling processes of another user in the container (supervisors, shells).
 * Dropped from Docker's defaults: `NET_RAW` (raw sockets: ARP/ICMP spoofing on the job network),
 * `MKNOD`, `SYS_CHROOT`, `SETPCAP`, `SETFCAP`, `FSETID`, `AUDIT_WRITE`.
 */
export const DEFAULT_CAPABILITIES = Object.freeze([
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'SETUID',
  'SETGID',
  'NET_BIND_SERVICE',
  'KILL',
] as const);

/**
 * How every task container of a worker is confined. Set per cluster (`containers` in the
 * configuration) or per worker, never per job: a job document cannot loosen it. Defaults live
 * here and only here. See docs/design/security.md, "Container hardening".
 */
export const containerHardeningSchema = z
  .object({
    /**
     * Capabilities added back after dropping all of them, without the `CAP_` prefix.
     * @defaultValue {@link DEFAULT_CAPABILITIES}
     */
    capabilities: z
      .array(z.string().regex(/^[A-Z_]+$/, 'must be a capability name such as NET_BIND_SERVICE'))
      .default([...DEFAULT_CAPABILITIES]),
    /** `no-new-privileges`: setuid binaries and file capabilities grant nothing. @defaultValue true */
    noNewPrivileges: z.boolean().default(true),
    /** Most processes (and threads) in one container; 0 means unlimited. @defaultValue 512 */
    pidsLimit: z.number().int().nonnegative().default(512),
    /** json-file log size at which it is rotated (Docker's size syntax). @defaultValue "10m" */
    logMaxSize: z
      .string()
      .regex(/^[1-9][0-9]*[kmg]?$/, 'must be a size such as 10m')
      .default('10m'),
    /** Rotated json-file logs kept per container. @defaultValue 3 */
    logMaxFiles: z.number().int().min(1).max(100).default(3),
    /** Mount the image's root filesystem read-only (with a tmpfs on /tmp). @defaultValue false */
    readOnlyRootFs: z.boolean().default(false),
    /** Size of the /tmp tmpfs of a read-only root filesystem (Docker's size syntax). @defaultValue "64m" */
    tmpSize: z
      .string()
      .regex(/^[1-9][0-9]*[kmg]?$/, 'must be a size such as 64m')
      .default('64m'),
    /** User (`uid[:gid]` or a name) tasks run as; empty keeps the image's own user. @defaultValue "" */
    user: z
      .string()
      .regex(/^([A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?)?$/, 'must be uid[:gid] or a name')
      .default(''),
  })
  .strict();

export type ContainerHardeningInput = z.input<typeof containerHardeningSchema>;

/** Validated hardening settings, every default applied. */
export type ContainerHardening = z.output<typeof containerHardeningSchema>;
