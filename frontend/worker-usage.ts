import type { Clock } from '../core/clock/clock.js';
import { AppError } from '../core/errors/index.js';
import type { Stores } from '../core/store/store-ports.js';
import type { components } from '../openapi/schema.js';
import type { OperationHandler } from './operation-handler.js';

type WorkerUsage = components['schemas']['WorkerUsage'];

/**
 * `GET /api/v1/workers/{id}/usage`: the worker's usage samples in `[since, until)`, oldest first,
 * at most `limit`, with `next` to page on. A removed worker is still answered while its samples
 * are kept (retention), so an export after a run can read every worker that took part; only an
 * id with neither a record nor samples is 404.
 */
export function workerUsageHandler(
  stores: Pick<Stores, 'workers' | 'usage'>,
  clock: Clock,
): OperationHandler {
  return async (req) => {
    const id = req.params['id'] as string;
    const since = timeOf(req.query['since'], 'since', 0);
    // "Until now" includes a sample taken this very millisecond.
    const until = timeOf(req.query['until'], 'until', clock.now() + 1);
    const limit = req.query['limit'] as number;
    if (since > until)
      throw new AppError('VALIDATION_FAILED', 'since is after until', [
        {
          code: 'FIELD_RANGE',
          pointer: '/query/since',
          message: `since (${new Date(since).toISOString()}) is after until (${new Date(until).toISOString()})`,
        },
      ]);
    // One more than asked says whether another page follows, and where it starts.
    const [worker, samples] = await Promise.all([
      stores.workers.get(id),
      stores.usage.range(id, since, until, limit + 1),
    ]);
    // None in this window is not "unknown": a removed worker may have samples at other times.
    if (!worker && samples.length === 0 && (await stores.usage.range(id, 0, clock.now() + 1, 1)).length === 0)
      throw new AppError('WORKER_NOT_FOUND', `no worker "${id}" and no usage samples of it`);
    const page = samples.slice(0, limit);
    const body: WorkerUsage = {
      workerId: id,
      totalCores: worker ? worker.coreIds.length : null,
      samples: page.map((s) => ({
        at: new Date(s.at).toISOString(),
        usedCores: s.usedCores,
        usedMemoryBytes: s.usedMemoryBytes,
        tasks: s.tasks,
      })),
      next: samples.length > limit ? new Date((samples[limit] as { at: number }).at).toISOString() : null,
    };
    return { status: 200, body };
  };
}

/**
 * A query time in ms, or `fallback` when absent. The spec has checked the RFC 3339 form; a time
 * it allows that JavaScript cannot represent (a leap second, 23:59:60) is refused by name.
 */
function timeOf(raw: unknown, name: string, fallback: number): number {
  if (typeof raw !== 'string') return fallback;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms))
    throw new AppError('VALIDATION_FAILED', `${name} is not a time this server can use`, [
      { code: 'FIELD_FORMAT', pointer: `/query/${name}`, message: `"${raw}" is not a usable time` },
    ]);
  return ms;
}
