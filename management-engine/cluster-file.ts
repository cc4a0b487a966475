/**
 * The cluster file: one YAML document describing a control plane run as local processes and the
 * workers started on remote hosts over SSH. Validated once, with errors that name the field.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import shellQuote from 'shell-quote';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const port = z.number().int().min(1).max(65535);
const hostName = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must be a host name or IP address');

/** A command line that must be one simple command: its words become argv, never a shell script. */
const simpleCommand = z.string().transform((text, ctx) => {
  const words = shellQuote.parse(text);
  const bad = words.find((w) => typeof w !== 'string');
  if (bad !== undefined || words.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" must be one simple command (no &&, |, ;, redirections or globs); set "cwd" for the directory`,
    });
    return z.NEVER;
  }
  return words as string[];
});

const envMap = z.record(z.string(), z.string()).superRefine((m, ctx) => {
  for (const k of Object.keys(m))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      ctx.addIssue({ code: 'custom', path: [k], message: 'is not a variable name' });
});

const backendsSchema = z.discriminatedUnion('mode', [
  z
    .object({
      /** Separate processes sharing MongoDB and Redis. */
      mode: z.literal('external'),
      /** MongoDB URL; when absent, the MONGO_URL the CLI was started with. */
      mongoUrl: z
        .string({ error: 'is required (or set MONGO_URL)' })
        .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL'),
      /** Redis URL; when absent, the REDIS_URL the CLI was started with. */
      redisUrl: z
        .string({ error: 'is required (or set REDIS_URL)' })
        .regex(/^rediss?:\/\//, 'must be a redis:// URL'),
      /** BullMQ queue name; clusters sharing one Redis need different names. */
      queueName: z.string().min(1).default('rswarm-jobs'),
    })
    .strict(),
  z
    .object({
      /** One all-in-one process on the in-memory store and queue (nothing shared survives it). */
      mode: z.literal('embedded'),
    })
    .strict(),
]);

const workerSchema = z
  .object({
    /** SSH host of the worker. */
    host: hostName,
    port: port.default(22),
    user: z.string().min(1),
    /** Private key file (OpenSSH format) for key authentication. */
    identityFile: z.string().min(1),
    /** known_hosts file the host key is checked against; default ~/.ssh/known_hosts. */
    knownHosts: z.string().min(1).optional(),
    /** Refuse unknown or changed host keys. Turn off only on a network you trust. */
    strictHostKeyChecking: z.boolean().default(true),
    /** Directory on the host where `command` runs (a checkout of this repository). */
    cwd: z.string().min(1),
    /**
     * How to run `rswarm worker` there: one simple command run in `cwd`. The default runs the
     * checkout's build (bin/rswarm.js; `npm install` builds it), falling back to the source.
     */
    command: simpleCommand.default(['node', 'bin/rswarm.js', 'worker']),
    /** Directory on the host for the worker's log. @defaultValue "/tmp/rswarm-cluster" */
    logDir: z.string().min(1).default('/tmp/rswarm-cluster'),
    /** Worker id, unique in the cluster. */
    workerId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.-]+$/, 'may hold only letters, digits, "_", "." and "-"'),
    runtime: z.enum(['docker', 'simulated']).default('docker'),
    /** Cores the worker hands out ("0-3"); empty means every host core. */
    cpuset: z.string().default(''),
    /** Memory the worker hands out ("8g"); empty means the host's total memory. */
    memory: z.string().default(''),
    /** Extra environment for the worker (e.g. DOCKER_HOST). */
    env: envMap.default({}),
  })
  .strict();

/** The schema of a cluster file. Relative paths are relative to the file. */
export const clusterFileSchema = z
  .object({
    /** Name shown in status output and used in log file names. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('rswarm'),
    /** Local directory for logs, generated config, token and the state file. */
    logDir: z.string().min(1).default('.rswarm/cluster'),
    controlPlane: z
      .object({
        /** Address the components bind. @defaultValue "127.0.0.1" */
        bindHost: hostName.default('127.0.0.1'),
        /** Address workers use to reach the components; defaults to bindHost. */
        advertiseHost: hostName.optional(),
        ports: z
          .object({
            frontend: port.default(5001),
            globalManager: port.default(3100),
            /** The GlobalManager's enrolment socket (new workers' keys). */
            enrolment: port.default(3101),
            discovery: port.default(4000),
            jobManager: port.default(2990),
          })
          .strict()
          .prefault({}),
        backends: backendsSchema,
        /** Bearer token of the API; generated and written to `<logDir>/token` (0600) when absent. */
        token: z.string().min(16, 'must be at least 16 characters').optional(),
        /** Secret workers present to join; generated when absent. */
        joinToken: z.string().min(16, 'must be at least 16 characters').optional(),
        /** Scheduling strategy at start-up. */
        strategy: z.string().min(1).default('best-fit'),
        logLevel: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
        /** Local command prefix that runs `rswarm`; default: this `rswarm` as it runs (built or source). */
        command: simpleCommand.optional(),
        /** How long each component may take to answer its health check. @defaultValue 30000 */
        startTimeoutMs: z.number().int().positive().default(30_000),
      })
      .strict(),
    workers: z.array(workerSchema).default([]),
    /**
     * Optional stress run against the cluster after bring-up: arguments of `rswarm stress …`
     * (shape first). `--url` is added unless given; the token is read from
     * `<logDir>/stress/.rswarm/token`, and relative paths (reports/) resolve in `<logDir>/stress`.
     */
    stress: z
      .object({
        args: z
          .array(z.string())
          .min(1)
          .refine((a) => !a.includes('--virtual') && !a.includes('--local-fleet'), {
            message: 'runs against the cluster: --virtual and --local-fleet do not apply',
          }),
        /** Run it on every `cluster up` (else only with --stress). */
        enabled: z.boolean().default(true),
      })
      .strict()
      .optional(),
    /** How long `down` waits after SIGTERM before SIGKILL. @defaultValue 10000 */
    stopGraceMs: z.number().int().nonnegative().default(10_000),
    /** How long `up` waits for each worker to join. @defaultValue 60000 */
    joinTimeoutMs: z.number().int().positive().default(60_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.workers.forEach((w, i) => {
      const prev = seen.get(w.workerId);
      if (prev !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['workers', i, 'workerId'],
          message: `"${w.workerId}" is also the id of workers[${prev}]`,
        });
      seen.set(w.workerId, i);
    });
    const p = c.controlPlane.ports;
    const ports = Object.entries(p);
    for (const [name, value] of ports) {
      const other = ports.find(([n, v]) => n < name && v === value);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: ['controlPlane', 'ports', name],
          message: `port ${value} is also controlPlane.ports.${other[0]}`,
        });
    }
    const bind = c.controlPlane.bindHost;
    if ((bind === '0.0.0.0' || bind === '::') && !c.controlPlane.advertiseHost)
      ctx.addIssue({
        code: 'custom',
        path: ['controlPlane', 'advertiseHost'],
        message: `is required when bindHost is ${bind}: workers need an address they can reach`,
      });
  });

/** A validated cluster file with defaults applied and paths made absolute. */
export type ClusterSpec = z.output<typeof clusterFileSchema> & {
  /** Absolute path of the file it was read from (or the working directory's pseudo-file). */
  readonly source: string;
};

/** One worker entry of a {@link ClusterSpec}. */
export type WorkerSpec = ClusterSpec['workers'][number];

/** Thrown for an unreadable or invalid cluster file; the message names every bad field. */
export class ClusterFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterFileError';
  }
}

/** Backend URLs from the caller's environment, used where the file gives none. */
export interface BackendDefaults {
  readonly mongoUrl?: string | undefined;
  readonly redisUrl?: string | undefined;
}

function withBackendDefaults(doc: unknown, d: BackendDefaults): unknown {
  const b = (doc as { controlPlane?: { backends?: Record<string, unknown> } }).controlPlane?.backends;
  if (!b || typeof b !== 'object' || b['mode'] !== 'external') return doc;
  const cp = (doc as { controlPlane: Record<string, unknown> }).controlPlane;
  const backends = {
    ...b,
    ...(b['mongoUrl'] === undefined && d.mongoUrl ? { mongoUrl: d.mongoUrl } : {}),
    ...(b['redisUrl'] === undefined && d.redisUrl ? { redisUrl: d.redisUrl } : {}),
  };
  return { ...(doc as object), controlPlane: { ...cp, backends } };
}

/**
 * Validates a parsed cluster document. Relative local paths (logDir, identityFile, knownHosts)
 * resolve against `baseDir`, the cluster file's directory; a leading `~/` against `homeDir`.
 * @throws ClusterFileError listing `path: message` for every issue
 */
export function parseClusterSpec(
  doc: unknown,
  source: string,
  baseDir: string,
  homeDir: string = homedir(),
  backendDefaults: BackendDefaults = {},
): ClusterSpec {
  const result = clusterFileSchema.safeParse(withBackendDefaults(doc ?? {}, backendDefaults));
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ClusterFileError(`invalid cluster file ${source}:\n  ${lines.join('\n  ')}`);
  }
  const abs = (p: string): string =>
    p === '~' || p.startsWith('~/') ? join(homeDir, p.slice(1)) : isAbsolute(p) ? p : resolve(baseDir, p);
  const c = result.data;
  return {
    ...c,
    source,
    logDir: abs(c.logDir),
    workers: c.workers.map((w) => ({
      ...w,
      identityFile: abs(w.identityFile),
      ...(w.knownHosts ? { knownHosts: abs(w.knownHosts) } : {}),
    })),
  };
}

/**
 * Reads and validates a YAML (or JSON) cluster file.
 * @throws ClusterFileError when it cannot be read, parsed or validated
 */
export function loadClusterFile(file: string, backendDefaults: BackendDefaults = {}): ClusterSpec {
  const source = resolve(file);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new ClusterFileError(`cannot read cluster file ${source}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ClusterFileError(`cluster file ${source} is not YAML: ${(err as Error).message}`);
  }
  return parseClusterSpec(doc, source, dirname(source), homedir(), backendDefaults);
}
