import type { Stores } from '../core/store/store-ports.js';

/**
 * Appends one utilisation sample per live worker (a document each, never a rewritten array),
 * read from the worker records the leader projects.
 */
export async function sampleUsage(stores: Pick<Stores, 'workers' | 'usage'>, now: number): Promise<void> {
  const workers = (await stores.workers.list()).filter((w) => w.state === 'ready' || w.state === 'draining');
  if (workers.length === 0) return;
  await stores.usage.append(
    workers.map((w) => ({
      workerId: w.id,
      at: now,
      usedCores: w.bookings.reduce((n, b) => n + b.coreIds.length, 0),
      usedMemoryBytes: w.bookings.reduce((n, b) => n + b.memoryBytes, 0),
      tasks: w.bookings.length,
    })),
  );
}
