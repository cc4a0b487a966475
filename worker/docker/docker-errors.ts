/**
 * Reading dockerode errors. dockerode rejects with an Error whose `statusCode` is the HTTP status
 * and whose `json` is the engine's body (`{ message }`); the engine's own sentence is what a task
 * failure should carry, not dockerode's "(HTTP code 404) no such container - …" wrapper.
 */

interface DockerodeErrorShape {
  readonly statusCode?: unknown;
  readonly json?: unknown;
  readonly message?: unknown;
}

/** dockerode's wrapper around the engine's sentence when it has no JSON body (streamed calls). */
const DOCKERODE_PREFIX = /^\(HTTP code \d+\) [^-]*- /;

/** The HTTP status of a dockerode error, if it has one. */
export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as DockerodeErrorShape | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The engine's message for a dockerode error, falling back to the error's own message. */
export function engineMessage(err: unknown): string {
  const shape = err as DockerodeErrorShape | null;
  const json = shape?.json;
  if (typeof json === 'object' && json !== null) {
    const message = (json as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message.trim();
  }
  if (typeof shape?.message === 'string') return shape.message.replace(DOCKERODE_PREFIX, '').trim();
  return String(err);
}

/** True for "no such container / image / network". */
export function isNotFound(err: unknown): boolean {
  return statusCodeOf(err) === 404;
}

/**
 * Runs a cleanup call, ignoring the statuses that mean "already done": 304 (already stopped),
 * 404 (already gone), 409 (removal already in progress).
 */
export async function ignoringAlreadyDone(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    const status = statusCodeOf(err);
    if (status !== 304 && status !== 404 && status !== 409) throw err;
  }
}

/**
 * A task could not be started; `message` is the reason reported for it. `refusal`: the worker
 * itself refused the task (a volume outside the allow-list, a network the job does not own), so
 * another try would be refused again. Otherwise whether to retry is judged by `cause`, the engine's
 * or the system's error: never by the message, which holds names the job chose (a volume path
 * `/data/timeout` must not make a refusal look like a timeout).
 */
export class TaskStartError extends Error {
  readonly refusal: boolean;

  constructor(message: string, options?: { cause?: unknown; refusal?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaskStartError';
    this.refusal = options?.refusal ?? false;
  }
}
