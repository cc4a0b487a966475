import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { componentLogger, createLogger, type Logger } from '../log/logger.js';
import type { JobQueue, QueueHandler, QueueMessage } from './job-queue.js';
import { dedupeKeyOf, parseQueueMessage } from './queue-message.js';
import { resolveRetry, type QueueRetryOptions } from './queue-retry.js';

/** Options of {@link createBullmqJobQueue}. */
export interface BullmqJobQueueOptions extends QueueRetryOptions {
  /** `redis://[user:password@]host:port[/db]` */
  readonly redisUrl: string;
  /**
   * BullMQ queue name (Redis keys `bull:<name>:*`).
   * @defaultValue `rswarm-jobs`
   */
  readonly name?: string;
  /** @defaultValue an `info` logger on stdout */
  readonly logger?: Logger;
  /**
   * How long connecting, and a health ping, may take.
   * @defaultValue 5000
   */
  readonly connectTimeoutMs?: number;
}

const DEFAULT_NAME = 'rswarm-jobs';
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/**
 * Finished jobs kept for inspection. Bounded so Redis does not grow with the job count; ids are
 * unique per message, so a kept job never blocks a later one.
 */
const KEEP_COMPLETED = 1000;
const KEEP_FAILED = 5000;

/**
 * The {@link JobQueue} on BullMQ/Redis, shared by every FrontEnd and JobManager.
 *
 * - Dedupe: a `submitted` message carries BullMQ's deduplication id `submitted-<job>`, which
 *   holds while the message waits, backs off or is handled, and is released when it completes or
 *   is finally dropped; a later submission of the same name is then delivered again. (A custom
 *   jobId would not do: BullMQ refuses `:` in ids, and a kept completed job would block its id.)
 * - Order: one Worker with concurrency 1 per process, so a process handles messages one at a
 *   time in queue order; redeliveries come back through BullMQ's delayed set.
 * - Retries: `attempts` with exponential backoff, then logged and dropped (see QueueRetryOptions).
 *
 * @throws Error naming the URL (credentials redacted) when Redis cannot be reached.
 */
export async function createBullmqJobQueue(opts: BullmqJobQueueOptions): Promise<JobQueue> {
  const retry = resolveRetry(opts);
  const logger = componentLogger(opts.logger ?? createLogger('info'), 'bullmq-job-queue');
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  // Enqueue and depth fail after a couple of retries rather than hang an HTTP request.
  const connection = await connectRedis(opts.redisUrl, { maxRetriesPerRequest: 2 }, timeoutMs, logger);
  const queue = new Queue(opts.name ?? DEFAULT_NAME, {
    connection,
    defaultJobOptions: {
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.backoffMs },
      removeOnComplete: { count: KEEP_COMPLETED },
      removeOnFail: { count: KEEP_FAILED },
    },
  });
  queue.on('error', (err) => logger.error({ err }, 'queue error'));
  return new BullmqJobQueue({ ...opts, timeoutMs, logger, queue, connection });
}

interface Parts {
  readonly redisUrl: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly queue: Queue;
  readonly connection: Redis;
}

class BullmqJobQueue implements JobQueue {
  readonly #parts: Parts;
  #worker: Worker | undefined;
  #workerConnection: Redis | undefined;
  #consuming = false;
  #closing: Promise<void> | undefined;

  constructor(parts: Parts) {
    this.#parts = parts;
  }

  async enqueue(message: QueueMessage): Promise<void> {
    if (this.#closing) throw new Error('job queue is closed');
    const key = dedupeKeyOf(message);
    await this.#parts.queue.add(
      message.kind,
      message,
      key === undefined ? {} : { deduplication: { id: key } },
    );
  }

  async consume(handler: QueueHandler): Promise<void> {
    if (this.#closing) throw new Error('job queue is closed');
    if (this.#consuming) throw new Error('job queue already has a consumer');
    this.#consuming = true;
    const { logger, queue } = this.#parts;
    let connection: Redis;
    try {
      // Workers block on Redis, which BullMQ only allows with maxRetriesPerRequest: null.
      connection = await connectRedis(
        this.#parts.redisUrl,
        { maxRetriesPerRequest: null },
        this.#parts.timeoutMs,
        logger,
      );
    } catch (err) {
      this.#consuming = false;
      throw err;
    }
    if (this.#closing) {
      // close() ran while we connected: it could not see this connection, so release it here.
      await quit(connection);
      throw new Error('job queue is closed');
    }
    this.#workerConnection = connection;
    const worker = new Worker(queue.name, (job: Job) => handle(job, handler), { connection, concurrency: 1 });
    worker.on('failed', (job, err) => {
      const final =
        err instanceof UnrecoverableError ||
        (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
      const fields = { err, queueMessage: job?.data as unknown, attempts: job?.attemptsMade };
      if (final)
        logger.error(fields, 'queue message dropped after its last attempt; the store still holds the job');
      else logger.warn(fields, 'queue handler failed');
    });
    worker.on('error', (err) => logger.error({ err }, 'queue worker error'));
    this.#worker = worker;
    await worker.waitUntilReady();
  }

  depth(): Promise<number> {
    // 'waiting' includes the paused list; together: every message not yet handled.
    return this.#parts.queue.getJobCountByTypes('waiting', 'delayed', 'active', 'prioritized');
  }

  async ping(): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`redis did not answer within ${this.#parts.timeoutMs} ms`),
        this.#parts.timeoutMs,
      );
    });
    try {
      const answer = this.#parts.connection.ping().then(
        () => 'ok',
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      );
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // The worker first: it lets the in-flight handler finish and stops taking messages.
    await this.#worker?.close();
    await this.#parts.queue.close();
    // Connections we passed in are shared from BullMQ's point of view, so closing them is ours.
    await quit(this.#workerConnection);
    await quit(this.#parts.connection);
  }
}

/** Runs the handler on one BullMQ job; a message that is not one is failed without retries. */
async function handle(job: Job, handler: QueueHandler): Promise<void> {
  const message = parseQueueMessage(job.data);
  if (!message) throw new UnrecoverableError(`not a queue message: ${JSON.stringify(job.data)}`);
  await handler(message);
}

/** Opens an ioredis connection, failing fast with a readable reason when Redis is unreachable. */
async function connectRedis(
  url: string,
  options: RedisOptions,
  timeoutMs: number,
  logger: Logger,
): Promise<Redis> {
  const redis = new Redis(url, { ...options, lazyConnect: true, connectTimeout: timeoutMs });
  let connected = false;
  let lastError: Error | undefined;
  // ioredis emits 'error' on every failed (re)connect and prints it to stderr when nobody listens.
  // Before the first connect the reason goes into the thrown error; after it, into the log.
  redis.on('error', (err: Error) => {
    if (connected) logger.warn({ err }, 'redis connection error');
    else lastError = err;
  });
  try {
    await redis.connect();
    connected = true;
    return redis;
  } catch (err) {
    redis.disconnect();
    const reason = lastError?.message ?? (err instanceof Error ? err.message : String(err));
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${reason}`, { cause: err });
  }
}

async function quit(redis: Redis | undefined): Promise<void> {
  if (!redis || redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1***@');
}
