import { z } from 'zod';
import { containerHardeningSchema } from './container-hardening.js';
import { keptLogsShape } from './kept-logs.js';
import { parseDurationMs } from './parse-duration.js';
import { parseCidr } from '../security/cidr.js';
import { DEFAULT_START_BACKOFF, FORGET_START_FAILURES_AFTER_MS } from '../control-state/start-failures.js';

/** A duration given as milliseconds or as a string such as `"250ms"`, `"5s"`, `"2m"`, `"1h"`. */
const duration = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const ms = parseDurationMs(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 500ms, 5s, 2m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

/** A network in CIDR notation, IPv4 or IPv6 (`10.0.0.0/8`, `fd00::/8`; a bare address is one host). */
const network = z.string().superRefine((v, ctx) => {
  if (parseCidr(v) === undefined)
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a network such as "10.0.0.0/8" or "fd00::/8"` });
});

/**
 * The one configuration schema of every RESTfulSwarm process. Defaults live here and only here.
 * Units are in the field names (`…Ms`, `…Bytes`); durations also accept strings such as `"5s"`.
 */
export const configSchema = z
  .object({
    /** Log level for pino. @defaultValue "info" */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * How log lines look on stderr: `json` lines, `pretty` (pino-pretty) or `auto` (pretty when
     * stderr is a terminal, JSON otherwise). @defaultValue "auto"
     */
    logFormat: z.enum(['auto', 'pretty', 'json']).default('auto'),
    http: z
      .object({
        /** Address the FrontEnd binds. @defaultValue "127.0.0.1" */
        host: z.string().min(1).default('127.0.0.1'),
        /** FrontEnd port; 5001 is the original's FE port. @defaultValue 5001 */
        port: z.number().int().min(0).max(65535).default(5001),
        /** Bearer token for /api/v1; empty means "generate one" (all-in-one) or "refuse to start". */
        token: z.string().default(''),
        /** Largest accepted request body. @defaultValue 1 MiB */
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** Failed authentications one client address may make per window before it gets 429. */
        authFailures: z
          .object({
            /** Failures allowed per window. @defaultValue 20 */
            limit: z.number().int().positive().default(20),
            /** The window, fixed per client address. @defaultValue 1 min */
            windowMs: duration.default(60_000),
          })
          .prefault({}),
        /**
         * Longest a streamed answer (`GET /api/v1/events`, followed task logs) stays open; the
         * client then reconnects (events resume with Last-Event-ID). 0 = no limit. @defaultValue 0
         */
        maxStreamMs: duration.default(0),
      })
      .prefault({}),
    /**
     * The original RESTfulSwarm's two routes (`/RESTfulSwarm/FE/...`). Its stress clients send no
     * token; with `allowAnonymous` they are let in without one from loopback and
     * `anonymousNetworks` — those two routes only, every other route still needs the token.
     */
    compat: z
      .object({
        /** Accept the two original routes without a token from trusted networks. @defaultValue false */
        allowAnonymous: z.boolean().default(false),
        /**
         * Networks (CIDR, IPv4 or IPv6) trusted besides loopback, which is always trusted when
         * `allowAnonymous` is on. The client address is the socket's peer (no proxy header is
         * believed). @defaultValue []
         */
        anonymousNetworks: z.array(network).default([]),
      })
      .prefault({}),
    job: z
      .object({
        /** Host paths a task may mount; a volume outside every prefix is refused. */
        volumeAllowList: z.array(z.string().startsWith('/')).default(['/nfs/RESTfulSwarm', '/tmp/rswarm']),
        /** Registries task images may come from (`docker.io`, `registry:5000`); empty means any. */
        imageRegistryAllowList: z.array(z.string().min(1)).default([]),
        /** Most tasks one job may hold. @defaultValue 1000 */
        maxTasksPerJob: z.number().int().positive().default(1000),
        /** Smallest memory limit Docker accepts is 6 MiB. @defaultValue 6 MiB */
        minMemoryBytes: z
          .number()
          .int()
          .nonnegative()
          .default(6 * 1024 * 1024),
      })
      .prefault({}),
    scheduler: z
      .object({
        /** Strategy used at start-up. @defaultValue "best-fit" */
        strategy: z.string().min(1).default('best-fit'),
        /** Priority points a waiting job gains per second (priority strategy). @defaultValue 0.1 */
        agingPerSecond: z.number().nonnegative().default(0.1),
        /**
         * A job that can never fit the fleet (NEVER_FITS, GANG_NEVER_FITS) fails only once no
         * worker has joined for this long, so a cluster still coming up does not fail jobs its
         * later workers could run; until then it waits with its reason. 0 fails it at once.
         * @defaultValue 30000 (30 s)
         */
        neverFitsSettleMs: duration.default(30_000),
        /**
         * What a job that can never fit the fleet does once the settle delay is over: `fail` it
         * with its reason (NEVER_FITS, GANG_NEVER_FITS), or `wait` with that reason until a
         * worker that can hold it joins (a fleet that grows on demand, an operator adding a
         * bigger node). @defaultValue "fail"
         */
        neverFits: z.enum(['fail', 'wait']).default('fail'),
        /**
         * Retry-next-node: how long a worker is avoided by a group (a job, a service) after a
         * start of its task failed there; defaults in `DEFAULT_START_BACKOFF`.
         */
        startBackoff: z
          .object({
            /** Backoff after the first failed start, ms; doubled per further one. @defaultValue 5000 */
            baseMs: z.number().int().positive().default(DEFAULT_START_BACKOFF.baseMs),
            /** Longest backoff before the blacklist, ms. @defaultValue 300000 */
            maxMs: z.number().int().positive().default(DEFAULT_START_BACKOFF.maxMs),
            /** Consecutive failed starts that blacklist the pair. @defaultValue 3 */
            blacklistAfter: z.number().int().positive().default(DEFAULT_START_BACKOFF.blacklistAfter),
            /** How long a blacklisted pair is avoided, ms (at most 24 h). @defaultValue 1800000 */
            blacklistMs: z
              .number()
              .int()
              .positive()
              .max(FORGET_START_FAILURES_AFTER_MS)
              .default(DEFAULT_START_BACKOFF.blacklistMs),
          })
          .prefault({}),
      })
      .prefault({}),
    backends: z
      .object({
        /** Where jobs, workers and events are kept. @defaultValue "memory" */
        store: z.enum(['memory', 'mongo']).default('memory'),
        /** Which Redis-backed services are used (the leader lease); `memory` means none. @defaultValue "memory" */
        queue: z.enum(['memory', 'redis']).default('memory'),
        /**
         * Where the leader's control log and snapshots live: `auto` is `mongo` when the store is
         * MongoDB, else `memory`; `file` keeps them under `stateDir` (the all-in-one's default,
         * so a restart keeps every accepted job). @defaultValue "auto"
         */
        state: z.enum(['auto', 'memory', 'file', 'mongo']).default('auto'),
        /** Directory of the `file` control state. @defaultValue ".rswarm/state" */
        stateDir: z.string().min(1).default('.rswarm/state'),
        mongoUrl: z.string().default('mongodb://127.0.0.1:27017/rswarm'),
        redisUrl: z.string().default('redis://127.0.0.1:6379'),
        /** BullMQ queue name; separate clusters sharing one Redis need different names. */
        queueName: z.string().min(1).default('rswarm-jobs'),
        /** Docker endpoint; empty means dockerode's default (DOCKER_HOST or the local socket). */
        dockerHost: z.string().default(''),
      })
      .prefault({}),
    cluster: z
      .object({
        /** ZeroMQ ROUTER address of the GlobalManager. @defaultValue "tcp://127.0.0.1:3100" */
        managerEndpoint: z.string().default('tcp://127.0.0.1:3100'),
        /**
         * ZeroMQ address where new workers enrol their keys with the join token (`curve` link
         * only; docs/design/security.md). @defaultValue "tcp://127.0.0.1:3101"
         */
        enrolEndpoint: z.string().default('tcp://127.0.0.1:3101'),
        /** ZeroMQ address where Discovery receives worker reports. @defaultValue "tcp://127.0.0.1:4000" */
        discoveryEndpoint: z.string().default('tcp://127.0.0.1:4000'),
        /**
         * ZeroMQ address where this JobManager answers intents and queries (the control link);
         * 2990 was the original JM port. Other components send to it.
         */
        jobManagerEndpoint: z.string().default('tcp://127.0.0.1:2990'),
        /** Control-link addresses of standby JobManagers, tried when the first is not leading. */
        standbyJobManagerEndpoints: z.array(z.string()).default([]),
        /**
         * How the leading JobManager is chosen: `solo` leads at once (one JobManager only),
         * `redis` holds a lease in Redis (2+ JobManagers), `auto` is `redis` when the queue
         * backend is Redis. @defaultValue "auto"
         */
        election: z.enum(['auto', 'solo', 'redis']).default('auto'),
        /** This JobManager's id in the election and the log; empty means `<host>:<pid>`. */
        jobManagerId: z.string().default(''),
        /** Higher valor wins a free lease (ties: lower id). @defaultValue 0 */
        valor: z.number().int().default(0),
        /** Leader lease time-to-live: a dead leader is replaced within about this. @defaultValue 3 s */
        leaseTtlMs: duration.default(3000),
        /** Control-log entries between snapshots. @defaultValue 5000 */
        snapshotEveryEntries: z.number().int().positive().default(5000),
        /**
         * Secret a worker presents once to enrol its key; empty: generated into
         * `<keysDir>/join-token` (mode 0600). Never logged.
         */
        joinToken: z.string().default(''),
        /**
         * The worker link: `curve` encrypts and authenticates it (CurveZMQ, keys in `keysDir`,
         * docs/design/security.md); `plaintext` is for tests and benchmarks only. @defaultValue "curve"
         */
        linkSecurity: z.enum(['curve', 'plaintext']).default('curve'),
        /** Directory of the link keys, the keyring and the join token. @defaultValue ".rswarm/keys" */
        keysDir: z.string().min(1).default('.rswarm/keys'),
        /**
         * The cluster id: labels every task container and job network (`rswarm.cluster`); workers
         * touch only their cluster's. Empty: the one kept in `<keysDir>/cluster-id`, generated at
         * the control plane's first start (docs/design/security.md). @defaultValue ""
         */
        id: z.string().default(''),
        /** A worker's copy of the control plane's public key (Z85); empty: `<keysDir>/control-plane.pub`. */
        controlPlanePublicKey: z.string().default(''),
        /** How often workers send heartbeats. @defaultValue 1 s */
        heartbeatIntervalMs: duration.default(1000),
        /** Silence after which a worker is marked lost. @defaultValue 5 s */
        heartbeatTimeoutMs: duration.default(5000),
        /** Utilisation sample interval per worker (0 disables). @defaultValue 10 s */
        usageSampleIntervalMs: duration.default(10_000),
        /** How long a gone worker's round-trip series stays on /metrics. @defaultValue 10 min */
        latencyRetentionMs: duration.default(600_000),
        /** JobManager safety round interval: covers anything a lost message would have triggered. @defaultValue 5 s */
        safetyIntervalMs: duration.default(5000),
        /**
         * Longest wait of a task operation for a worker: its answer to update/checkpoint, and a
         * migration's target reporting the task running. @defaultValue 30 s
         */
        operationTimeoutMs: duration.default(30_000),
        /** How often each control-plane component announces itself (GET /api/v1/manager). @defaultValue 5 s */
        announceIntervalMs: duration.default(5000),
      })
      .prefault({}),
    retention: z
      .object({
        /** How long finished, failed and cancelled jobs are kept after they end. @defaultValue 7 d */
        finishedJobsMs: duration.default(7 * 86_400_000),
        /** How long utilisation samples are kept. @defaultValue 7 d */
        usageSamplesMs: duration.default(7 * 86_400_000),
        /** How long cluster events are kept. @defaultValue 7 d */
        eventsMs: duration.default(7 * 86_400_000),
        /** How long a silent component announcement is kept before it is deleted. @defaultValue 1 d */
        componentsMs: duration.default(86_400_000),
        /** How often the pruner deletes what is past retention (0 disables). @defaultValue 1 m */
        pruneIntervalMs: duration.default(60_000),
      })
      // A misspelt retention key would silently keep data forever: refuse unknown keys.
      .strict()
      .prefault({}),
    worker: z
      .object({
        /** This worker's id; defaults to the host name. */
        id: z.string().default(''),
        /** How tasks run. @defaultValue "docker" */
        runtime: z.enum(['docker', 'simulated']).default('docker'),
        /** Cores this worker hands out, as a cpuset ("0-3"); empty means every host core. */
        cpuset: z.string().default(''),
        /** Memory this worker hands out ("8g"); empty means the host's total memory. */
        memory: z.string().default(''),
        /**
         * Host directories task volumes may mount from, checked on the worker after resolving
         * symlinks (docs/design/security.md). Empty (the default): no volumes on this worker.
         */
        volumeAllowList: z.array(z.string().startsWith('/', 'must be an absolute path')).default([]),
        /** The address the gateway reaches this worker's published ports at. @defaultValue "127.0.0.1" */
        advertiseAddress: z.string().min(1).max(255).default('127.0.0.1'),
        /**
         * The last output of ended tasks, kept in the worker's memory once their containers are
         * removed, so `GET /api/v1/tasks/{task}/logs` answers for finished, failed and cancelled
         * tasks: `keptLogLines` per task, `keptLogTasks` tasks, `keptLogBytes` in all (oldest
         * ended first out). Env: RSWARM_WORKER_KEPT_LOG_LINES, _TASKS, _BYTES.
         */
        ...keptLogsShape,
      })
      .prefault({}),
    /** How every task container is confined (docs/design/security.md); per cluster, not per job. */
    containers: containerHardeningSchema.prefault({}),
    /** The services gateway (docs/design/services.md): `rswarm gateway`, also in the all-in-one. */
    gateway: z
      .object({
        /** Address the gateway binds. @defaultValue "127.0.0.1" */
        host: z.string().min(1).default('127.0.0.1'),
        /** Port; 0 picks a free one. @defaultValue 5080 */
        port: z.number().int().min(0).max(65_535).default(5080),
        /** How long a request to a service with no ready replica waits for one. @defaultValue 30000 */
        coldStartBudgetMs: z.number().int().min(100).max(600_000).default(30_000),
        /** How often the gateway reports each service's requests in flight to the leader (the autoscaler's input). @defaultValue 1000 */
        loadReportMs: z.number().int().min(100).max(600_000).default(1_000),
      })
      .prefault({}),
    /**
     * Prometheus metrics of a process without a FrontEnd (`rswarm job-manager | global-manager |
     * gateway | discovery` alone): served at `http://host:port/metrics`. A process with a
     * FrontEnd serves its metrics at the FrontEnd's `/metrics` instead.
     */
    metrics: z
      .object({
        /** Address the metrics endpoint binds. @defaultValue "127.0.0.1" */
        host: z.string().min(1).default('127.0.0.1'),
        /** Port; 0 = no metrics endpoint (several processes share a host). @defaultValue 0 */
        port: z.number().int().min(0).max(65_535).default(0),
      })
      .prefault({}),
    /** Services across the cluster (docs/design/services.md). */
    services: z
      .object({
        /** Cap on the sum of replicas the autoscaler asks for, over every service. @defaultValue 100 */
        maxReplicas: z.number().int().min(0).max(100_000).default(100),
        /** How often the leader's autoscaler looks at its state (each service decides per its own period). @defaultValue 250 */
        autoscaleTickMs: z.number().int().min(10).max(60_000).default(250),
      })
      .prefault({}),
    allInOne: z
      .object({
        /** Local workers started by `rswarm all-in-one`. @defaultValue 2 */
        workers: z.number().int().min(0).max(10_000).default(2),
        /** `auto` uses Docker when an engine answers, else simulated workers. @defaultValue "auto" */
        runtime: z.enum(['auto', 'docker', 'simulated']).default('auto'),
        /** Cores per simulated worker. @defaultValue 32 */
        simulatedCores: z.number().int().min(1).max(4096).default(32),
        /** Memory per simulated worker. @defaultValue "64g" */
        simulatedMemory: z.string().default('64g'),
        /**
         * Pick a free port for every endpoint (HTTP, gateway, JobManager, GlobalManager, enrolment,
         * Discovery) and print them, as `rswarm all-in-one --free-ports`. @defaultValue false
         */
        freePorts: z.boolean().default(false),
      })
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.cluster.heartbeatTimeoutMs <= c.cluster.heartbeatIntervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'heartbeatTimeoutMs'],
        message: 'must be greater than cluster.heartbeatIntervalMs',
      });
    }
  });

/** What a user may write in a config file or pass programmatically (everything optional). */
export type ConfigInput = z.input<typeof configSchema>;

/** The validated, defaulted, frozen configuration. */
export type Config = z.output<typeof configSchema>;
