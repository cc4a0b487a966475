import { z } from 'zod';
import type { QueueMessage } from './job-queue.js';

/** The wire shape of a {@link QueueMessage}; anything else read from Redis is refused. */
const QUEUE_MESSAGE_SCHEMA = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('submitted'), job: z.string() }),
  z.object({ kind: z.literal('cancel'), job: z.string() }),
  z.object({ kind: z.literal('strategy'), strategy: z.string() }),
]);

/**
 * Reads a message that crossed a process boundary.
 * @returns the message, or undefined when `data` is not one (a foreign or corrupt entry).
 */
export function parseQueueMessage(data: unknown): QueueMessage | undefined {
  const parsed = QUEUE_MESSAGE_SCHEMA.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The deduplication key of a message: `submitted-<job>` for `submitted` messages (a retried
 * submission must not wake the JobManager twice), undefined for every other kind, which are
 * never deduplicated (two cancels, or two strategy switches, are both meaningful).
 * No `:` in the key: BullMQ reserves it in ids.
 */
export function dedupeKeyOf(message: QueueMessage): string | undefined {
  return message.kind === 'submitted' ? `submitted-${message.job}` : undefined;
}
