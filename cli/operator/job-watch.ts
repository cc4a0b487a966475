/**
 * `rswarm job watch NAME` and `job run --watch`: follows a job until it runs (or, with
 * `--until-done`, until it ends), printing its events as they happen. Events come from
 * `GET /api/v1/events?job=NAME` (Server-Sent Events); a server without that route (404) is polled
 * instead (`GET /api/v1/jobs/NAME`), printing what changed between two looks. A stream that ends
 * before the job is done is opened again after its last event (`Last-Event-ID`).
 */
import { ApiError, EXIT } from './exit-codes.js';
import { seg, type ApiClient } from './api-client.js';
import {
  failureText,
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

/**
 * Opens the job's event stream; undefined when the server has no events route (404), so the
 * caller polls. `after` resumes after that event id (a reconnect).
 */
async function openEvents(
  client: ApiClient,
  name: string,
  backlog: number,
  after: string | undefined,
  signal: AbortSignal,
): Promise<Response | undefined> {
  try {
    return await client.send('GET', '/api/v1/events', {
      query: { job: name, backlog },
      accept: 'text/event-stream',
      signal,
      ...(after ? { headers: { 'last-event-id': after } } : {}),
    });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.body?.code !== 'JOB_NOT_FOUND') return undefined;
    throw err;
  }
}

/** Follows job `name`; answers the exit code. */
export async function watchJob(
  client: ApiClient,
  io: OperatorIo,
  name: string,
  o: WatchOptions,
): Promise<number> {
  let abort = new AbortController();
  try {
    let stream = await openEvents(client, name, o.backlog, undefined, abort.signal);
    const job = await getJob(client, name);
    // With the events route its backlog tells the story so far (a state line as well would say
    // each change twice); without it, the job's state is all there is to show.
    if (!stream) for (const line of jobChanges(undefined, job, o.now())) io.out(line);
    if (watchDone(job, o.untilDone)) return finish(io, job);
    const seen = { lastId: undefined as string | undefined };
    while (stream?.body) {
      const last = await followEvents(client, io, name, stream.body, abort, o, seen);
      if (last) return finish(io, last);
      // The stream ended (a server limit, a restart): look once, then resume after the last event.
      const now = await getJob(client, name);
      if (watchDone(now, o.untilDone)) return finish(io, now);
      await new Promise((r) => setTimeout(r, o.intervalMs));
      abort.abort();
      abort = new AbortController();
      stream = await openEvents(client, name, o.backlog, seen.lastId, abort.signal);
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
  const why = job.failureReason ? `: ${failureText(job)}` : '';
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
  seen: { lastId: string | undefined },
): Promise<JobView | undefined> {
  let done: JobView | undefined;
  let failure: Error | undefined;
  let checking = Promise.resolve();
  // Checks queue one at a time, and events arriving while one waits share it (a backlog of
  // many events is not as many reads).
  let queued = false;
  const check = (): void => {
    if (queued) return;
    queued = true;
    checking = checking.then(async () => {
      queued = false;
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
      if (m.id) seen.lastId = m.id;
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
