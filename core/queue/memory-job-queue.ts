import { componentLogger, createLogger, type Logger } from '../log/logger.js';
import type { JobQueue, QueueHandler, QueueMessage } from './job-queue.js';
import { dedupeKeyOf } from './queue-message.js';
import { backoffDelayMs, resolveRetry, type QueueRetryOptions } from './queue-retry.js';

/** Options of {@link createMemoryJobQueue}. */
export interface MemoryJobQueueOptions extends QueueRetryOptions {
  /**
   * Where dropped messages are reported.
   * @defaultValue an `info` logger on stdout
   */
  readonly logger?: Logger;
}

interface Entry {
  readonly message: QueueMessage;
  readonly key: string | undefined;
  /** Deliveries so far. */
  attempts: number;
}

/**
 * A {@link JobQueue} inside the process, for tests and the single-process mode. It behaves like
 * the BullMQ adapter: one handler call at a time, in enqueue order; a `submitted` message is
 * deduplicated while one for the same job waits, awaits redelivery or is being handled; a
 * rejected message is redelivered after an exponential backoff, behind whatever was enqueued
 * meanwhile, and dropped with an error log after the last attempt (see QueueRetryOptions for
 * why dropping is safe). Messages still queued at `close()` are discarded; the store has them.
 */
export function createMemoryJobQueue(opts: MemoryJobQueueOptions = {}): JobQueue {
  return new MemoryJobQueue(opts);
}

class MemoryJobQueue implements JobQueue {
  readonly #retry: Required<QueueRetryOptions>;
  readonly #logger: Logger;
  readonly #ready: Entry[] = [];
  /** Messages waiting out their backoff, by timer. */
  readonly #backingOff = new Map<NodeJS.Timeout, Entry>();
  /** Dedup keys of `submitted` messages not yet handled (queued, backing off or in flight). */
  readonly #pendingKeys = new Set<string>();
  #inFlight = 0;
  #handler: QueueHandler | undefined;
  #pumping: Promise<void> | undefined;
  #closed = false;

  constructor(opts: MemoryJobQueueOptions) {
    this.#retry = resolveRetry(opts);
    this.#logger = componentLogger(opts.logger ?? createLogger('info'), 'memory-job-queue');
  }

  enqueue(message: QueueMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('job queue is closed'));
    const key = dedupeKeyOf(message);
    if (key !== undefined) {
      if (this.#pendingKeys.has(key)) return Promise.resolve();
      this.#pendingKeys.add(key);
    }
    // A copy, as if serialised: the caller may reuse its object.
    this.#ready.push({ message: structuredClone(message), key, attempts: 0 });
    this.#kick();
    return Promise.resolve();
  }

  consume(handler: QueueHandler): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('job queue is closed'));
    if (this.#handler) return Promise.reject(new Error('job queue already has a consumer'));
    this.#handler = handler;
    this.#kick();
    return Promise.resolve();
  }

  depth(): Promise<number> {
    return Promise.resolve(this.#ready.length + this.#backingOff.size + this.#inFlight);
  }

  ping(): Promise<string> {
    return Promise.resolve(this.#closed ? 'job queue closed' : 'ok');
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#backingOff.keys()) clearTimeout(timer);
    this.#backingOff.clear();
    this.#ready.length = 0;
    this.#pendingKeys.clear();
    await this.#pumping;
  }

  /** Starts the delivery loop unless it runs already (or nothing can be delivered). */
  #kick(): void {
    const handler = this.#handler;
    if (this.#pumping || !handler || this.#closed) return;
    this.#pumping = this.#pump(handler);
  }

  /** Delivers ready messages one at a time until none is left or the queue closes. */
  async #pump(handler: QueueHandler): Promise<void> {
    // Yield first: delivery never runs inside enqueue(), and #pumping is set before the loop
    // can finish and clear it.
    await Promise.resolve();
    while (!this.#closed) {
      const entry = this.#ready.shift();
      if (!entry) break;
      await this.#deliver(entry, handler);
    }
    // Same synchronous step as the empty check above, so an enqueue cannot slip in between.
    this.#pumping = undefined;
  }

  async #deliver(entry: Entry, handler: QueueHandler): Promise<void> {
    entry.attempts += 1;
    this.#inFlight += 1;
    try {
      await handler(structuredClone(entry.message));
      this.#finish(entry);
    } catch (err) {
      if (entry.attempts >= this.#retry.attempts) {
        this.#logger.error(
          { err, queueMessage: entry.message, attempts: entry.attempts },
          'queue message dropped after its last attempt; the store still holds the job',
        );
        this.#finish(entry);
      } else {
        this.#logger.warn(
          { err, queueMessage: entry.message, attempts: entry.attempts },
          'queue handler failed',
        );
        this.#retryLater(entry);
      }
    } finally {
      this.#inFlight -= 1;
    }
  }

  #finish(entry: Entry): void {
    if (entry.key !== undefined) this.#pendingKeys.delete(entry.key);
  }

  #retryLater(entry: Entry): void {
    if (this.#closed) return;
    const timer = setTimeout(
      () => {
        this.#backingOff.delete(timer);
        this.#ready.push(entry);
        this.#kick();
      },
      backoffDelayMs(this.#retry.backoffMs, entry.attempts),
    );
    // A pending redelivery alone must not keep the process alive; close() clears it anyway.
    timer.unref();
    this.#backingOff.set(timer, entry);
  }
}
