import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import type { QueueLengthProbe } from './queue-length-probe.js';
import type { QueueTarget } from './service-model.js';

/** Options of {@link RedisQueueLengthProbe}. */
export interface RedisQueueLengthProbeOptions {
  /** `redis://[user:password@]host:port[/db]` (config `backends.redisUrl`). */
  readonly redisUrl: string;
  /**
   * How long one read may take before it fails (Redis away must not stall the sampler).
   * @defaultValue 2000
   */
  readonly commandTimeoutMs?: number;
  /** The BullMQ key prefix of `bullmqQueue` targets. @defaultValue 'bull' (BullMQ's own default) */
  readonly bullmqPrefix?: string;
  readonly logger: Logger;
}

/**
 * The {@link QueueLengthProbe} on Redis: `LLEN` for a Redis list, and for a BullMQ queue its
 * waiting (with paused), delayed and prioritized jobs (`Queue.getJobCountByTypes`; active jobs are
 * being worked on already, so they are not demand for more replicas). One connection, opened on the
 * first read (a cluster with no queue-targeted service never connects), shared by the BullMQ
 * `Queue` handles, which are kept per queue name until {@link close}.
 */
export class RedisQueueLengthProbe implements QueueLengthProbe {
  private redis: Redis | undefined;
  private readonly queues = new Map<string, Queue>();
  private closed = false;

  constructor(private readonly options: RedisQueueLengthProbeOptions) {}

  async length(queue: QueueTarget): Promise<number> {
    if (this.closed) throw new Error('RedisQueueLengthProbe: closed');
    if ('redisList' in queue) return this.client().llen(queue.redisList);
    return this.bullmq(queue.bullmqQueue).getJobCountByTypes('waiting', 'delayed', 'prioritized');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Queues on a shared connection leave it open; it is quit last.
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
    const redis = this.redis;
    if (!redis || redis.status === 'end') return;
    await redis.quit().catch(() => redis.disconnect());
  }

  private client(): Redis {
    if (this.redis) return this.redis;
    const timeout = this.options.commandTimeoutMs ?? 2000;
    const redis = new Redis(this.options.redisUrl, {
      // A read fails after one reconnect attempt or the timeout, whichever first: the sampler
      // logs it and reads again next period.
      maxRetriesPerRequest: 1,
      commandTimeout: timeout,
      connectTimeout: timeout,
    });
    // ioredis prints unhandled 'error' events to stderr on every failed reconnect.
    redis.on('error', (err: Error) => this.options.logger.debug({ err }, 'queue probe: redis error'));
    this.redis = redis;
    return redis;
  }

  private bullmq(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.client(), prefix: this.options.bullmqPrefix ?? 'bull' });
      // A Queue re-emits its connection's errors; an EventEmitter 'error' without a listener throws.
      q.on('error', (err: Error) =>
        this.options.logger.debug({ err, queue: name }, 'queue probe: bullmq error'),
      );
      this.queues.set(name, q);
    }
    return q;
  }
}
