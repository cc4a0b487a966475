/**
 * Recent events of one job for `rswarm job status`: the events route's backlog, read for a moment
 * and then dropped (the route is a live stream; the backlog arrives first, at once).
 */
import { ApiError } from './exit-codes.js';
import type { ApiClient } from './api-client.js';
import type { ClusterEventView } from './job-views.js';
import { readSse } from './sse-reader.js';

/**
 * Up to `count` recent events of job `name`; undefined when the server has no events route (404).
 * Reading stops once no event came for `quietMs`, or after `maxMs` in all.
 */
export async function recentJobEvents(
  client: ApiClient,
  name: string,
  count: number,
  quietMs = 150,
  maxMs = 2000,
): Promise<ClusterEventView[] | undefined> {
  const abort = new AbortController();
  let res: Response;
  try {
    res = await client.send('GET', '/api/v1/events', {
      query: { job: name, backlog: count },
      accept: 'text/event-stream',
      signal: abort.signal,
    });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
  const events: ClusterEventView[] = [];
  let quiet = setTimeout(() => abort.abort(), quietMs);
  const cap = setTimeout(() => abort.abort(), maxMs);
  try {
    if (res.body)
      await readSse(res.body, (m) => {
        clearTimeout(quiet);
        quiet = setTimeout(() => abort.abort(), quietMs);
        try {
          const e = JSON.parse(m.data) as ClusterEventView;
          if (e.job === undefined || e.job === name) events.push(e);
        } catch {
          // Not an event of ours (the contract's data is one JSON object per event).
        }
        return events.length >= count ? 'stop' : undefined;
      }).catch((err: unknown) => {
        if (!abort.signal.aborted) throw err;
      });
  } finally {
    clearTimeout(quiet);
    clearTimeout(cap);
    abort.abort();
  }
  return events.slice(-count);
}
