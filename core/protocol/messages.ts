import { z } from 'zod';

/**
 * The manager↔worker and worker→Discovery wire protocol. Messages are JSON in one ZeroMQ frame,
 * carry the protocol version `v`, and are validated on receipt ({@link decodeMessage}); a message
 * of another major version or of the wrong shape is refused, never half-read.
 *
 * Sockets: the GlobalManager binds a ROUTER (`cluster.managerEndpoint`); workers connect a
 * DEALER whose routing id is their worker id. Discovery binds a ROUTER
 * (`cluster.discoveryEndpoint`); workers connect a second DEALER for reports. The leading
 * JobManager connects a DEALER to the GlobalManager for dispatch; the control plane's own
 * request/reply link to the JobManager (intents and queries) is core/transport/zmq-control-link.ts.
 */
export const PROTOCOL_VERSION = 1;

const name = z.string().min(1).max(128);
const v = z.literal(PROTOCOL_VERSION);

/** One attempt of one task: the idempotency key of every command and report. */
export const taskRefSchema = z.object({ job: name, task: name, attempt: z.number().int().nonnegative() });
export type TaskRef = z.infer<typeof taskRefSchema>;

/** Everything a worker needs to run one attempt of a task. */
export const taskAssignmentSchema = taskRefSchema.extend({
  containerName: z.string().min(1).max(256),
  image: z.string().min(1),
  command: z.array(z.string()).nullable(),
  coreIds: z.array(z.number().int().nonnegative()).min(1),
  memoryBytes: z.number().int().nonnegative(),
  env: z.record(z.string(), z.string()),
  ports: z.array(z.object({ containerPort: z.string(), hostIp: z.string(), hostPort: z.number().int() })),
  volumes: z.array(z.object({ hostPath: z.string(), containerPath: z.string(), readOnly: z.boolean() })),
  network: z
    .object({
      name: z.string(),
      driver: z.enum(['auto', 'bridge', 'overlay']),
      /** IPv4 CIDR for the network's IPAM config; absent: the engine picks one. */
      subnet: z.string().optional(),
    })
    .nullable(),
  /** Simulated runtime only: how long the task runs; a failing exit code can be forced. */
  runSeconds: z.number().nonnegative().nullable(),
});
export type TaskAssignment = z.infer<typeof taskAssignmentSchema>;

/** Worker → GlobalManager: join (or re-join) with capacity and what it currently runs. */
export const joinSchema = z.object({
  type: z.literal('join'),
  v,
  workerId: name,
  /** Needed only to enrol a new key; a worker already known by its key may send "". */
  joinToken: z.string().max(1024),
  /** The worker's CurveZMQ public key (Z85), registered at enrolment; absent on a plaintext link. */
  publicKey: z.string().length(40).optional(),
  runtime: z.enum(['docker', 'simulated']),
  coreIds: z.array(z.number().int().nonnegative()).min(1),
  memoryBytes: z.number().int().positive(),
  running: z.array(taskRefSchema),
  /**
   * Optional protocol features this worker speaks (additive within version 1; unknown names are
   * ignored). `ping`: it answers {@link pingSchema} with {@link pongSchema}. A worker without it
   * is never pinged, so an older worker keeps working, without a round-trip time.
   */
  features: z.array(z.string().max(32)).max(16).optional(),
});
export type Join = z.infer<typeof joinSchema>;

/**
 * GlobalManager's enrolment socket → worker: its key is enrolled (or already was) as `workerId`;
 * it may now connect to the GlobalManager's main socket and to Discovery, which admit enrolled
 * keys only. The request is a {@link joinSchema} message carrying the join token and the key.
 */
export const enrolledSchema = z.object({ type: z.literal('enrolled'), v, workerId: name });
export type Enrolled = z.infer<typeof enrolledSchema>;

/** Worker → GlobalManager: liveness. */
export const heartbeatSchema = z.object({ type: z.literal('heartbeat'), v, workerId: name, at: z.number() });
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** Optional protocol features a worker may announce in its join. */
export const WORKER_FEATURES = ['ping'] as const;

/**
 * GlobalManager → worker: answer with a {@link Pong} carrying this `id`. Sent after a heartbeat to
 * a worker that announced the `ping` feature; the GlobalManager times send → pong on its own
 * monotonic clock, so the hosts' clocks never meet.
 */
export const pingSchema = z.object({ type: z.literal('ping'), v, id: z.string().min(1).max(64) });
export type Ping = z.infer<typeof pingSchema>;

/** Worker → GlobalManager: the answer to a {@link Ping}, accepted only from the worker it names. */
export const pongSchema = z.object({
  type: z.literal('pong'),
  v,
  workerId: name,
  id: z.string().min(1).max(64),
});
export type Pong = z.infer<typeof pongSchema>;

/** The round trip to one worker as the GlobalManager measured it (ping → pong). */
export const workerRttSchema = z.object({
  workerId: name,
  /** The latest sample, in milliseconds. */
  lastMs: z.number().nonnegative(),
  /** Exponentially weighted moving average (α = 0.1), in milliseconds. */
  ewmaMs: z.number().nonnegative(),
  samples: z.number().int().positive(),
  /** The worker left, was lost or removed; its series is dropped after the retention. */
  gone: z.boolean(),
  /**
   * When the GlobalManager last received a message from the worker (heartbeat, pong), ms since
   * the epoch on the GlobalManager's clock; kept as it was once the worker is gone. Optional:
   * a GlobalManager before this field sends none, and an older peer drops it when it reads.
   */
  lastSeenAt: z.number().int().nonnegative().optional(),
});
export type WorkerRtt = z.infer<typeof workerRttSchema>;

/** Most workers one {@link LatencyReport} lists (the GlobalManager tracks no more). */
export const MAX_LATENCY_REPORT_WORKERS = 10_000;

/** Control peer (FrontEnd) → GlobalManager: the round trips to workers, please. */
export const latencyQuerySchema = z.object({
  type: z.literal('latencyQuery'),
  v,
  id: z.string().min(1).max(128),
});
export type LatencyQuery = z.infer<typeof latencyQuerySchema>;

/** GlobalManager → control peer: the answer to a {@link LatencyQuery}, paired by `id`. */
export const latencyReportSchema = z.object({
  type: z.literal('latencyReport'),
  v,
  id: z.string().min(1).max(128),
  workers: z.array(workerRttSchema).max(MAX_LATENCY_REPORT_WORKERS),
});
export type LatencyReport = z.infer<typeof latencyReportSchema>;

/** GlobalManager → worker: the full desired set; the worker converges to exactly this. */
export const syncSchema = z.object({ type: z.literal('sync'), v, desired: z.array(taskAssignmentSchema) });
export type Sync = z.infer<typeof syncSchema>;

/** GlobalManager → worker: run these too (idempotent by task ref). */
export const assignSchema = z.object({ type: z.literal('assign'), v, tasks: z.array(taskAssignmentSchema) });
export type Assign = z.infer<typeof assignSchema>;

/** GlobalManager → worker: stop and remove these (idempotent). */
export const stopSchema = z.object({ type: z.literal('stop'), v, tasks: z.array(taskRefSchema) });
export type Stop = z.infer<typeof stopSchema>;

/** GlobalManager → worker: join refused or unknown session; `rejoin` asks for a fresh join. */
export const rejectSchema = z.object({
  type: z.literal('reject'),
  v,
  reason: z.string(),
  rejoin: z.boolean(),
});
export type Reject = z.infer<typeof rejectSchema>;

/** GlobalManager → worker: leave the cluster (stop everything, exit). */
export const leaveSchema = z.object({ type: z.literal('leave'), v });
export type Leave = z.infer<typeof leaveSchema>;

/** Task states a worker reports; only forward moves are applied. */
export const REPORTED_STATES = ['starting', 'running', 'finished', 'failed', 'cancelled'] as const;

/** Worker → Discovery: a task changed state. Retried until acknowledged; `id` deduplicates. */
export const reportSchema = taskRefSchema.extend({
  type: z.literal('report'),
  v,
  id: z.string().min(1).max(128),
  workerId: name,
  state: z.enum(REPORTED_STATES),
  exitCode: z.number().int().nullable(),
  reason: z.string().max(4096).nullable(),
  at: z.number(),
  /** With `running`: the image the container runs, by digest (`repo@sha256:…` or `sha256:…`). */
  imageDigest: z.optional(z.string().min(1).max(512).regex(/^\S+$/)),
});
export type Report = z.infer<typeof reportSchema>;

/** Discovery → worker: these reports are durably applied. */
export const ackSchema = z.object({ type: z.literal('ack'), v, ids: z.array(z.string()) });
export type Ack = z.infer<typeof ackSchema>;

/** JobManager → GlobalManager: tell these workers to run / stop these task attempts. */
export const dispatchSchema = z.object({
  type: z.literal('dispatch'),
  v,
  assign: z.array(taskAssignmentSchema.extend({ workerId: name })),
  stop: z.array(taskRefSchema.extend({ workerId: name })),
});
export type Dispatch = z.infer<typeof dispatchSchema>;

/** Most bytes of log text one `logs` answer may carry; the FrontEnd asks again for more. */
export const MAX_LOG_CHUNK_BYTES = 256 * 1024;

/**
 * Where a reader of a task's log stands: the engine's timestamp of the last line it got
 * (RFC 3339 with nanoseconds, as Docker writes them) and how many lines with exactly that
 * timestamp it got (an engine's `since` is inclusive, so those are skipped next time).
 */
export const logCursorSchema = z.object({
  at: z.string().min(1).max(40),
  skip: z.number().int().nonnegative(),
});
export type LogCursor = z.infer<typeof logCursorSchema>;

/** One line of a task's output, without its newline, with the engine's timestamp. */
export const logLineSchema = z.object({
  at: z.string().min(1).max(40),
  stream: z.enum(['stdout', 'stderr']),
  text: z.string().max(MAX_LOG_CHUNK_BYTES),
});
export type LogLine = z.infer<typeof logLineSchema>;

/** What a worker answers a `logs` command with. */
export const logChunkSchema = z.object({
  lines: z.array(logLineSchema).max(100_000),
  /** Where the next `logs` command continues; null when no line was ever read. */
  cursor: logCursorSchema.nullable(),
  /** The byte cap cut this chunk short: ask again at once. */
  more: z.boolean(),
  /** The task's container no longer runs: no line will follow those already written. */
  ended: z.boolean(),
});
export type LogChunk = z.infer<typeof logChunkSchema>;

/**
 * A command that needs the worker's answer. Idempotent by task ref: repeating an `update` applies
 * the same limits again; repeating a `checkpoint` with the same name is refused by the engine
 * and answered `failed`. `leave` is answered by the GlobalManager itself (it owns the session).
 */
export const workerCommandSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('update'),
    task: taskRefSchema,
    coreIds: z.array(z.number().int().nonnegative()).min(1),
    memoryBytes: z.number().int().nonnegative(),
  }),
  z.object({ kind: z.literal('checkpoint'), task: taskRefSchema, checkpoint: name }),
  z.object({ kind: z.literal('leave') }),
  /** Where a running task's published ports answer (the gateway's way to a service replica). */
  z.object({ kind: z.literal('endpoints'), task: taskRefSchema }),
  /**
   * A chunk of a task's output (stdout and stderr, in order): after `after` when given (a follow
   * continues there), else the last `tail` lines (all when absent) at or after `sinceMs`; at most
   * `maxBytes` of text. Read-only, answered for attempts this worker runs or still has, and for
   * its ended attempts from the last output it kept when it removed their containers (`ended`
   * true; `unknown-task` with the reason, e.g. evicted, once it no longer keeps them).
   */
  z.object({
    kind: z.literal('logs'),
    task: taskRefSchema,
    after: logCursorSchema.optional(),
    sinceMs: z.number().int().nonnegative().optional(),
    tail: z.number().int().nonnegative().optional(),
    maxBytes: z.number().int().positive().max(MAX_LOG_CHUNK_BYTES),
  }),
]);
export type WorkerCommand = z.infer<typeof workerCommandSchema>;

/** Control peer (FrontEnd) → GlobalManager → worker: run one command; `id` pairs the result. */
export const commandSchema = z.object({
  type: z.literal('command'),
  v,
  id: z.string().min(1).max(128),
  workerId: name,
  command: workerCommandSchema,
});
export type Command = z.infer<typeof commandSchema>;

/** A container port published by a running task, and the host address and port it answers at. */
export const endpointSchema = z.object({
  /** e.g. `8080/tcp` */
  containerPort: z.string().min(1).max(32),
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
});
export type Endpoint = z.infer<typeof endpointSchema>;

/** How a command ended: `unsupported` = the engine cannot do it at all (e.g. no CRIU). */
export const COMMAND_OUTCOMES = ['done', 'unsupported', 'failed', 'unknown-task', 'unreachable'] as const;

/** Worker → GlobalManager → control peer: the answer to a {@link Command}. */
export const commandResultSchema = z.object({
  type: z.literal('commandResult'),
  v,
  id: z.string().min(1).max(128),
  workerId: name,
  outcome: z.enum(COMMAND_OUTCOMES),
  /** The engine's words when it refused; null when done. */
  reason: z.string().max(4096).nullable(),
  /** For `endpoints`: each published container port and where it answers. */
  endpoints: z.array(endpointSchema).max(256).optional(),
  /** For `logs`, when done. */
  logs: logChunkSchema.optional(),
});
export type CommandResult = z.infer<typeof commandResultSchema>;

/** Every message of the protocol. */
export const messageSchema = z.discriminatedUnion('type', [
  joinSchema,
  heartbeatSchema,
  syncSchema,
  assignSchema,
  stopSchema,
  rejectSchema,
  leaveSchema,
  reportSchema,
  ackSchema,
  dispatchSchema,
  commandSchema,
  commandResultSchema,
  pingSchema,
  pongSchema,
  latencyQuerySchema,
  latencyReportSchema,
  enrolledSchema,
]);
export type Message = z.infer<typeof messageSchema>;
export type MessageType = Message['type'];
