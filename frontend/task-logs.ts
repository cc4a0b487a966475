import type { Clock } from '../core/clock/clock.js';
import { lookupTask, type TaskLocation } from '../core/control/index.js';
import { AppError } from '../core/errors/index.js';
import { isTerminalJobState, isTerminalTaskState } from '../core/job/index.js';
import type { Logger } from '../core/log/logger.js';
import {
  MAX_LOG_CHUNK_BYTES,
  formatLines,
  parseSince,
  type LogChunk,
  type LogCursor,
  type TaskRef,
} from '../core/protocol/index.js';
import type { Stores } from '../core/store/store-ports.js';
import type { WorkerCommandLink } from '../core/transport/index.js';
import type { HandlerResult } from './operation-handler.js';

/** What the logs route needs. */
export interface TaskLogDeps {
  readonly stores: Stores;
  readonly commands: WorkerCommandLink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Longest wait for one answer of the worker. */
  readonly operationTimeoutMs: number;
  /** Pause between two reads of a followed task that had nothing new. @defaultValue 300 */
  readonly followPollMs?: number;
}

/** What the client asked (the route's query, validated by the spec). */
export interface TaskLogRequest {
  /** A line count, or `all`. */
  readonly tail: string;
  readonly follow: boolean;
  readonly timestamps: boolean;
  readonly since?: string | undefined;
}

/** Job names tried for one task name (`<job>_<task>`: each `_` may end the job's name). */
const MAX_JOB_PREFIXES = 64;

/**
 * The task of an ended job that `name` names, by its container name: `<job>_<task>` for a native
 * job, an original-format task's `container_name` when it begins with `<job>_` (as the original's
 * do). The job is read by name (each prefix of `name` before a `_`), never by scanning the
 * history, so a bare task name (which many ended jobs share) does not find an ended task.
 * @returns undefined when no ended job has such a task
 * @throws AppError CONFLICT when several do
 */
export async function findEndedTask(stores: Stores, name: string): Promise<TaskLocation | undefined> {
  const prefixes: string[] = [];
  for (let i = name.indexOf('_'); i > 0 && prefixes.length < MAX_JOB_PREFIXES; i = name.indexOf('_', i + 1))
    prefixes.push(name.slice(0, i));
  if (prefixes.length === 0) return undefined;
  const jobs = (await stores.jobs.getMany(prefixes)).filter((j) => isTerminalJobState(j.state));
  const found = lookupTask(jobs, name);
  if (found.kind === 'found') return found.at;
  if (found.kind === 'none') return undefined;
  throw new AppError(
    'CONFLICT',
    `"${name}" names ${found.candidates.length} tasks of ended jobs (${found.candidates.join(', ')})`,
  );
}

/** One read, as the follow loop sees it: a chunk, or why there will be none. */
type Read =
  | { readonly chunk: LogChunk }
  | {
      readonly end: string;
      readonly code: 'TASK_NOT_RUNNING' | 'TASK_LOGS_GONE' | 'WORKER_COMMAND_FAILED';
    };

/**
 * `GET /api/v1/tasks/{task}/logs`: the task's output as plain text, read from its worker over the
 * worker link in chunks of at most {@link MAX_LOG_CHUNK_BYTES} (`logs` command, continued by
 * cursor). The first read happens before the answer starts, so a task without a container is a
 * 409 with the catalogue's body; then every chunk is written as it comes. With `follow`, the
 * worker is asked again every `followPollMs` until the task's container no longer runs (its last
 * lines written), the task leaves the worker, or the client goes away (the signal: no read or
 * wait outlives the client).
 *
 * A task that ended (or whose job ended) is asked of the worker it last ran on, which answers
 * from the last output it kept when it removed the container (`ended`: a follow sends it and
 * ends). When that worker has left, restarted or evicted them, the answer is 410 TASK_LOGS_GONE
 * saying which; a worker that is only unreachable is a 502.
 * @throws AppError VALIDATION_FAILED (since), TASK_NOT_RUNNING, TASK_LOGS_GONE, WORKER_COMMAND_FAILED
 */
export async function taskLogs(
  deps: TaskLogDeps,
  at: TaskLocation,
  q: TaskLogRequest,
): Promise<HandlerResult> {
  const { job, task } = at;
  const sinceMs = q.since === undefined ? undefined : parseSince(q.since);
  if (q.since !== undefined && sinceMs === undefined)
    throw new AppError(
      'VALIDATION_FAILED',
      `since "${q.since}" is neither an RFC 3339 time nor unix seconds`,
      [{ code: 'FIELD_FORMAT', pointer: '/query/since', message: 'an RFC 3339 time or unix seconds' }],
    );
  const workerId = task.workerId;
  if (!workerId)
    throw new AppError(
      'TASK_NOT_RUNNING',
      `task ${task.name} of job ${job.name} is ${task.state} and has no container (never placed on a worker)`,
    );
  const ref: TaskRef = { job: job.name, task: task.name, attempt: job.attempt };
  const ended = isTerminalJobState(job.state) || isTerminalTaskState(task.state);
  const ofTask = `the logs of task ${task.name} of job ${job.name}`;
  const startedAt = deps.clock.now();
  const tail = q.tail === 'all' ? undefined : Number(q.tail);
  const read = async (cursor: LogCursor | null, first: boolean): Promise<Read> => {
    const a = await deps.commands.request(
      workerId,
      {
        kind: 'logs',
        task: ref,
        maxBytes: MAX_LOG_CHUNK_BYTES,
        ...(cursor
          ? { after: cursor }
          : first
            ? { ...(tail !== undefined ? { tail } : {}), ...(sinceMs !== undefined ? { sinceMs } : {}) }
            : // Nothing read yet: only lines written since the request (the worker's clock).
              { sinceMs: Math.max(sinceMs ?? 0, startedAt) }),
      },
      deps.operationTimeoutMs,
    );
    if (a.outcome === 'done' && a.logs) return { chunk: a.logs };
    if (ended && a.outcome === 'unknown-task')
      return {
        end: `${ofTask} are no longer kept: ${a.reason ?? `worker ${workerId} has none`}`,
        code: 'TASK_LOGS_GONE',
      };
    if (ended && a.outcome === 'unreachable') {
      const w = await deps.stores.workers.get(workerId).catch(() => undefined);
      if (!w || w.state === 'left')
        return { end: `${ofTask} are no longer kept: worker ${workerId} has left`, code: 'TASK_LOGS_GONE' };
      return {
        end: `${ofTask} are kept by worker ${workerId}, which is not connected (${w.state}): ${a.reason ?? 'unreachable'}`,
        code: 'WORKER_COMMAND_FAILED',
      };
    }
    if (a.outcome === 'unknown-task')
      return {
        end: `task ${task.name} has no container on ${workerId} (${a.reason ?? 'not running there'})`,
        code: 'TASK_NOT_RUNNING',
      };
    return {
      end: `reading the logs of ${task.name} on ${workerId} ${a.outcome}: ${a.reason ?? 'no reason given'}`,
      code: 'WORKER_COMMAND_FAILED',
    };
  };

  const first = await read(null, true);
  if ('end' in first) throw new AppError(first.code, first.end);
  const pollMs = deps.followPollMs ?? 300;

  /** Still worth asking the worker: the task runs there and is not over. */
  const stillThere = async (): Promise<boolean> => {
    const j = await deps.stores.jobs.get(job.name).catch(() => undefined);
    const t = j?.tasks.find((x) => x.name === task.name);
    return (
      !!j && j.attempt === ref.attempt && !!t && t.workerId === workerId && !isTerminalTaskState(t.state)
    );
  };

  return {
    status: 200,
    stream: {
      contentType: 'text/plain; charset=utf-8',
      run: async (out, signal) => {
        let chunk = first.chunk;
        let cursor = chunk.cursor;
        for (;;) {
          if (chunk.lines.length > 0) await out.write(formatLines(chunk.lines, q.timestamps));
          cursor = chunk.cursor ?? cursor;
          if (signal.aborted) return;
          if (!chunk.more) {
            if (!q.follow || chunk.ended) return;
            try {
              await deps.clock.sleep(pollMs, signal);
            } catch {
              return; // the client went away
            }
          }
          const next = await read(cursor, false);
          if (signal.aborted) return;
          if ('end' in next) {
            // A worker that did not answer in time may still run the task: ask again later.
            if (!q.follow || !(await stillThere())) return;
            deps.logger.debug({ task: task.name, why: next.end }, 'log follow read failed; retrying');
            chunk = { lines: [], cursor, more: false, ended: false };
            continue;
          }
          chunk = next.chunk;
        }
      },
    },
  };
}
