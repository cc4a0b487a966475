/**
 * `rswarm job watch NAME` and `job run --watch`: follows a job until it runs (or, with
 * `--until-done`, until it ends), printing its events as they happen. Events come from
 * `GET /api/v1/events?job=NAME` (Server-Sent Events); a server without that route (404) is polled
 * instead (`GET /api/v1/jobs/NAME`), printing what changed between two looks.
 */
import { ApiError, EXIT } from './exit-codes.js';
import { seg, type ApiClient } from './api-client.js';
import {
  eventLine,
  jobChanges,
  TERMINAL_JOB_STATES,
  type ClusterEventView,
  type JobView,
} from './job-views.js';
import type { OperatorIo } from './operator-io.js';
import { readSse } from './sse-reader.js';

/** Options of {@link watchJob}. */
export interface WatchOptions {
  /** Wait for a terminal state, not only for `running`. */
  readonly untilDone: boolean;
  /** Poll period without the events route, and a tenth of the re-check period with it. */
  readonly intervalMs: number;
  /** Recent events of the job to print first (the route's `backlog`). */
  readonly backlog: number;
  readonly now: () => number;
}

/** Whether a job reached what the watch waits for. */
export function watchDone(j: JobView, untilDone: boolean): boolean {
  return TERMINAL_JOB_STATES.has(j.state) || (!untilDone && j.state === 'running');
}

/** The exit code once a watch is over: 4 for a failed or cancelled job, else 0. */
export function watchExitCode(j: JobView): number {
  return j.state === 'failed' || j.state === 'cancelled' ? EXIT.jobFailed : EXIT.ok;
}

/** Follows job `name`; answers the exit code. */
export async function watchJob(
  client: ApiClient,
  io: OperatorIo,
  name: string,
  o: WatchOptions,
): Promise<number> {
  const abort = new AbortController();
  let stream: Response | undefined;
  try {
    stream = await client.send('GET', '/api/v1/events', {
      query: { job: name, backlog: o.backlog },
      accept: 'text/event-stream',
      signal: abort.signal,
    });
  } catch (err) {
    // No events route on this server (older FrontEnd): poll instead.
    if (!(err instanceof ApiError && err.status === 404 && err.body?.code !== 'JOB_NOT_FOUND')) throw err;
  }
  try {
    const job = await getJob(client, name);
    for (const line of jobChanges(undefined, job, o.now())) io.out(line);
    if (watchDone(job, o.untilDone)) return finish(io, job);
    if (stream?.body) {
      const last = await followEvents(client, io, name, stream.body, abort, o);
      if (last) return finish(io, last);
      io.err('the event stream ended; polling the job instead');
      return await poll(client, io, name, await getJob(client, name), o);
    }
    return await poll(client, io, name, job, o);
  } finally {
    abort.abort();
  }
}

async function getJob(client: ApiClient, name: string): Promise<JobView> {
  return (await client.get<JobView>(`/api/v1/jobs/${seg(name)}`)).body;
}

function finish(io: OperatorIo, job: JobView): number {
  const why = job.failureReason ? `: ${job.failureReason}` : '';
  io.out(`job ${job.name} is ${job.state}${why}`);
  return watchExitCode(job);
}

/**
 * Prints events until the job is done; answers the job then, or undefined when the stream ended
 * first. The job is fetched again on its state events and every `10 × intervalMs` anyway, so a
 * missed event (a new leader, a full ring) cannot leave the watch waiting forever.
 */
async function followEvents(
  client: ApiClient,
  io: OperatorIo,
  name: string,
  body: ReadableStream<Uint8Array>,
  abort: AbortController,
  o: WatchOptions,
): Promise<JobView | undefined> {
  let done: JobView | undefined;
  let failure: Error | undefined;
  let checking = Promise.resolve();
  const check = (): void => {
    checking = checking.then(async () => {
      if (done || failure !== undefined) return;
      try {
        const j = await getJob(client, name);
        if (watchDone(j, o.untilDone)) done = j;
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
      }
      if (done || failure !== undefined) abort.abort();
    });
  };
  const timer = setInterval(check, o.intervalMs * 10);
  try {
    await readSse(body, (m) => {
      let e: ClusterEventView;
      try {
        e = JSON.parse(m.data) as ClusterEventView;
      } catch {
        return;
      }
      if (e.job !== undefined && e.job !== name) return;
      io.out(eventLine(e));
      if (e.kind.startsWith('job-') || e.kind === 'task-state') check();
    }).catch((err: unknown) => {
      if (!abort.signal.aborted) throw err;
    });
    await checking;
    if (failure !== undefined) throw failure;
  } finally {
    clearInterval(timer);
  }
  return done;
}

async function poll(
  client: ApiClient,
  io: OperatorIo,
  name: string,
  first: JobView,
  o: WatchOptions,
): Promise<number> {
  let prev = first;
  for (;;) {
    await new Promise((r) => setTimeout(r, o.intervalMs));
    const cur = await getJob(client, name);
    for (const line of jobChanges(prev, cur, o.now())) io.out(line);
    prev = cur;
    if (watchDone(cur, o.untilDone)) return finish(io, cur);
  }
}
