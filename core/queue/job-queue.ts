/**
 * The queue port between the FrontEnd and the JobManager. The queue carries notifications only:
 * the job itself is persisted before it is enqueued, and the JobManager rebuilds its waiting set
 * from the store at start-up, so a lost message delays a job but never loses it.
 */

/** A message on the job queue. */
export type QueueMessage =
  | { readonly kind: 'submitted'; readonly job: string }
  | { readonly kind: 'cancel'; readonly job: string }
  | { readonly kind: 'strategy'; readonly strategy: string };

/** Handles one message; a rejection makes the queue redeliver it (at-least-once). */
export type QueueHandler = (message: QueueMessage) => Promise<void>;

/** The job queue: BullMQ on Redis (`bullmq-job-queue.ts`) or in process (`memory-job-queue.ts`). */
export interface JobQueue {
  /** Adds a message; a `submitted` message for a job already queued is deduplicated. */
  enqueue(message: QueueMessage): Promise<void>;
  /** Starts delivering messages to `handler`, one consumer per process. */
  consume(handler: QueueHandler): Promise<void>;
  /** Messages not yet handled. */
  depth(): Promise<number>;
  /** Answers "ok" or a reason; used by /healthz. */
  ping(): Promise<string>;
  /** Stops consuming and releases connections; in-flight handlers finish first. */
  close(): Promise<void>;
}
