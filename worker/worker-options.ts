import { cpus, totalmem } from 'node:os';
import { z } from 'zod';
import { ConfigError, containerHardeningSchema, keptLogsShape } from '../core/config/index.js';
import { MAX_CORE_ID } from '../core/job/cpuset.js';

/** Protocol limit on names (worker ids travel as `name` fields and as the ZeroMQ routing id). */
const MAX_NAME_LENGTH = 128;

const curveKey = z.string().length(40);

const endpoint = z
  .string()
  .regex(/^(tcp|ipc|inproc):\/\/.+/, 'must be a ZeroMQ endpoint such as tcp://127.0.0.1:3100');

/**
 * Options of one worker agent. The CLI fills them from the process configuration
 * (`cluster.*`, `backends.dockerHost`); nothing here reads the environment.
 */
export const workerOptionsSchema = z
  .object({
    /** This worker's id: its routing id at the GlobalManager and the `rswarm.worker` label. */
    workerId: z
      .string()
      .min(1)
      .max(MAX_NAME_LENGTH)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, ".", "_" or "-"'),
    /**
     * The cluster id (`cluster.id`, else `<keysDir>/cluster-id`; core/security/cluster-id.ts): the
     * Docker runtime labels with it and touches only its cluster's containers and networks.
     * @defaultValue "" (none: only containers and networks without a cluster label)
     */
    clusterId: z
      .string()
      .regex(/^([A-Za-z0-9][A-Za-z0-9_.-]{0,62})?$/, 'must be 1–63 letters, digits, ".", "_" or "-"')
      .default(''),
    /** Secret presented in the join. @defaultValue "" */
    joinToken: z.string().default(''),
    /** GlobalManager ROUTER address. */
    managerEndpoint: endpoint,
    /** Discovery ROUTER address, where reports go. */
    discoveryEndpoint: endpoint,
    /**
     * The GlobalManager's enrolment address (`cluster.enrolEndpoint`): with `security`, the worker
     * enrols its key there (join token once) before it connects anywhere else.
     */
    enrolEndpoint: endpoint.optional(),
    /**
     * CurveZMQ: this worker's key pair and the control plane's public key (Z85). Absent, the
     * links are plaintext (tests only; the CLI always sets it).
     */
    security: z
      .object({
        keyPair: z.object({ publicKey: curveKey, secretKey: curveKey }).strict(),
        serverPublicKey: curveKey,
      })
      .strict()
      .optional(),
    /** Time between heartbeats, in ms. @defaultValue 1000 (as `cluster.heartbeatIntervalMs`) */
    heartbeatIntervalMs: z.number().int().positive().default(1000),
    /** Cores this worker offers (its cpuset universe). @defaultValue every host core (`os.cpus()`) */
    coreIds: z
      .array(z.number().int().nonnegative().max(MAX_CORE_ID))
      .min(1)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a core')
      .optional(),
    /** Memory this worker offers, in bytes. @defaultValue the host's total (`os.totalmem()`) */
    memoryBytes: z.number().int().positive().optional(),
    /** What runs tasks. @defaultValue "docker" */
    runtime: z.enum(['docker', 'simulated']).default('docker'),
    /** Docker endpoint; empty means dockerode's default (DOCKER_HOST or the local socket). @defaultValue "" */
    dockerHost: z.string().default(''),
    /** Longest wait for pulling a missing image before the task fails, in ms. @defaultValue 60000 */
    pullTimeoutMs: z.number().int().positive().default(60_000),
    /** Grace between SIGTERM and SIGKILL when stopping a container, in s. @defaultValue 2 */
    stopTimeoutSeconds: z.number().int().nonnegative().default(2),
    /** How task containers are confined (as `containers` in the configuration). */
    containers: containerHardeningSchema.prefault({}),
    /**
     * Starts tried for one attempt when the engine fails in a way that may pass (unreachable,
     * overloaded, port still held); permanent errors are never retried. @defaultValue 4
     */
    startRetryAttempts: z.number().int().min(1).default(4),
    /** Wait before the first retried start, doubled each time, in ms. @defaultValue 500 */
    startRetryMinMs: z.number().int().positive().default(500),
    /** Longest wait between two starts of one attempt, in ms. @defaultValue 8000 */
    startRetryMaxMs: z.number().int().positive().default(8000),
    /** First resend delay of an unacknowledged report, in ms. @defaultValue 200 */
    reportRetryMinMs: z.number().int().positive().default(200),
    /** Largest resend delay of an unacknowledged report, in ms. @defaultValue 2000 */
    reportRetryMaxMs: z.number().int().positive().default(2000),
    /** On `leave`, how long to wait for the last reports to be acknowledged, in ms. @defaultValue 2000 */
    leaveFlushMs: z.number().int().nonnegative().default(2000),
    /**
     * Host directories a task's volume may lie in (Docker runtime). Checked on this host right
     * before each container is created, after resolving symlinks; a volume outside every entry
     * fails the task. Empty: no host volumes at all. @defaultValue []
     */
    volumeAllowList: z.array(z.string().startsWith('/', 'must be an absolute path')).default([]),
    /**
     * The address the gateway reaches this worker's published ports at (a service replica's).
     * @defaultValue "127.0.0.1" (gateway and worker on one host)
     */
    advertiseAddress: z.string().min(1).max(255).default('127.0.0.1'),
    /**
     * How much of its ended tasks' output the agent keeps once their containers are removed (as
     * `worker.keptLogLines`, `keptLogTasks`, `keptLogBytes`; see worker/kept-logs.ts).
     */
    ...keptLogsShape,
  })
  .strict()
  .refine((o) => o.reportRetryMaxMs >= o.reportRetryMinMs, {
    path: ['reportRetryMaxMs'],
    message: 'must be at least reportRetryMinMs',
  })
  .refine((o) => o.startRetryMaxMs >= o.startRetryMinMs, {
    path: ['startRetryMaxMs'],
    message: 'must be at least startRetryMinMs',
  })
  .refine((o) => !o.security || o.enrolEndpoint !== undefined, {
    path: ['enrolEndpoint'],
    message: 'a secured worker enrols its key first: set the enrolment endpoint',
  });

/** What a caller may pass: only the three addresses and the id are required. */
export type WorkerOptionsInput = z.input<typeof workerOptionsSchema>;

/** Validated options with every default applied, frozen. */
export type WorkerOptions = Readonly<
  Omit<z.output<typeof workerOptionsSchema>, 'coreIds' | 'memoryBytes'> & {
    readonly coreIds: readonly number[];
    readonly memoryBytes: number;
  }
>;

/**
 * Validates `input` and applies the defaults, host-derived ones included.
 * @throws ConfigError naming every invalid field
 */
export function compileWorkerOptions(input: WorkerOptionsInput): WorkerOptions {
  const parsed = workerOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new ConfigError(`invalid worker options: ${issues.join('; ')}`);
  }
  const o = parsed.data;
  return Object.freeze({
    ...o,
    coreIds: Object.freeze([...(o.coreIds ?? cpus().map((_, i) => i))].sort((a, b) => a - b)),
    memoryBytes: o.memoryBytes ?? totalmem(),
  });
}
