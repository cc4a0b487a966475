import type { QueueTarget, ServiceSpec } from './service-model.js';

/**
 * The port the leader's queue sampler reads queue lengths through (the autoscaler's queue-length
 * target, docs/design/services.md). A seam so the sampler is tested with
 * {@link FakeQueueLengthProbe} and runs on Redis with `RedisQueueLengthProbe`.
 */
export interface QueueLengthProbe {
  /** Items waiting in `queue` now; 0 for a list or queue that does not exist. Rejects when unreadable. */
  length(queue: QueueTarget): Promise<number>;
  /** Releases what the probe holds (connections). */
  close(): Promise<void>;
}

/**
 * Prefix of the `service-load` sources the queue sampler reports under. Gateways' sources are
 * `<host>:<pid>:gateway:<port>`, so the two never mix.
 */
export const QUEUE_LOAD_SOURCE_PREFIX = 'queue:';

/** The `service-load` source of `service`'s queue samples: one per service, with its own period. */
export function queueLoadSource(service: string): string {
  return `${QUEUE_LOAD_SOURCE_PREFIX}${service}`;
}

/**
 * Whether a `service-load` report from `source` counts as `spec`'s load: with a queue target only
 * its queue samples (the gateways' in-flight requests are another unit), otherwise only the
 * gateways' reports (a queue sample left from an earlier definition never counts).
 */
export function countsAsLoad(spec: ServiceSpec, source: string): boolean {
  return spec.autoscale?.queue
    ? source === queueLoadSource(spec.name)
    : !source.startsWith(QUEUE_LOAD_SOURCE_PREFIX);
}

/** `redis list "jobs"` / `BullMQ queue "mail"`, for logs and messages. */
export function describeQueue(queue: QueueTarget): string {
  return 'redisList' in queue ? `Redis list "${queue.redisList}"` : `BullMQ queue "${queue.bullmqQueue}"`;
}

/** The key {@link FakeQueueLengthProbe} files a queue under. */
function keyOf(queue: QueueTarget): string {
  return 'redisList' in queue ? `list:${queue.redisList}` : `bullmq:${queue.bullmqQueue}`;
}

/**
 * An in-memory {@link QueueLengthProbe} for tests: lengths set by the test, every read counted,
 * and reads that fail while {@link FakeQueueLengthProbe.failing} is set.
 */
export class FakeQueueLengthProbe implements QueueLengthProbe {
  /** Reads so far, per queue (`list:<key>` / `bullmq:<name>`). */
  readonly reads = new Map<string, number>();
  /** When set, every read rejects with it (Redis away). */
  failing: Error | undefined;
  closed = false;
  private readonly lengths = new Map<string, number>();

  /** Sets the length of `queue` (0 forgets it, as a deleted key). */
  set(queue: QueueTarget, length: number): void {
    if (length === 0) this.lengths.delete(keyOf(queue));
    else this.lengths.set(keyOf(queue), length);
  }

  length(queue: QueueTarget): Promise<number> {
    const key = keyOf(queue);
    this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
    if (this.failing) return Promise.reject(this.failing);
    return Promise.resolve(this.lengths.get(key) ?? 0);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
