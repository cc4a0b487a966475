import type { Clock } from '../core/clock/clock.js';
import type { TaskLocation } from '../core/control/index.js';
import { AppError } from '../core/errors/index.js';
import { isTerminalTaskState } from '../core/job/index.js';
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

/** One read, as the follow loop sees it: a chunk, or why there will be none. */
type Read =
  | { readonly chunk: LogChunk }
  | { readonly end: string; readonly code: 'TASK_NOT_RUNNING' | 'WORKER_COMMAND_FAILED' };

/**
 * `GET /api/v1/tasks/{task}/logs`: the task's output as plain text, read from its worker over the
 * worker link in chunks of at most {@link MAX_LOG_CHUNK_BYTES} (`logs` command, continued by
 * cursor). The first read happens before the answer starts, so a task without a container is a
 * 409 with the catalogue's body; then every chunk is written as it comes. With `follow`, the
 * worker is asked again every `followPollMs` until the task's container no longer runs (its last
 * lines written), the task leaves the worker, or the client goes away (the signal: no read or
 * wait outlives the client).
 * @throws AppError VALIDATION_FAILED (since), TASK_NOT_RUNNING, WORKER_COMMAND_FAILED
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
