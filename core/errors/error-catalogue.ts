/**
 * The one catalogue of errors the outside world can see.
 *
 * Every entry has a stable code (never reused, never renamed), the HTTP status it maps to and a
 * short title. `test/pure/error-catalogue.test.ts` checks that the codes here and the `ErrorCode`
 * enum in openapi/openapi.yaml are the same set, in both directions.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, title: 'The request is malformed; see details for each field.' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON.' },
  UNKNOWN_STRATEGY: { status: 400, title: 'No scheduling strategy has that name.' },
  UNAUTHORIZED: { status: 401, title: 'A valid bearer token is required.' },
  NOT_FOUND: { status: 404, title: 'No such route.' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'The path exists but not with this method; the Allow header lists its methods.',
  },
  JOB_NOT_FOUND: { status: 404, title: 'No job has that name.' },
  TASK_NOT_FOUND: { status: 404, title: 'No task has that name.' },
  WORKER_NOT_FOUND: { status: 404, title: 'No worker has that id.' },
  SERVICE_NOT_FOUND: { status: 404, title: 'No service has that name.' },
  JOB_EXISTS: { status: 409, title: 'A job with that name already exists.' },
  JOB_FINISHED: { status: 409, title: 'The job has already ended.' },
  WORKER_BUSY: { status: 409, title: 'The worker still runs tasks; drain it or force the removal.' },
  NO_CAPACITY: { status: 409, title: 'No worker has room for the request.' },
  CONFLICT: { status: 409, title: 'The state changed concurrently; retry.' },
  TASK_NOT_RUNNING: {
    status: 409,
    title: 'The task is not running, so it cannot be migrated, updated or checkpointed.',
  },
  TASK_LOGS_GONE: {
    status: 410,
    title:
      'The task ended and its worker no longer keeps its logs (the worker left or restarted, or evicted them); see the message.',
  },
  BODY_TOO_LARGE: { status: 413, title: 'The request body exceeds the configured size.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json.' },
  TOO_MANY_AUTH_FAILURES: {
    status: 429,
    title: 'Too many failed authentications from this address; retry after Retry-After seconds.',
  },
  INTERNAL: { status: 500, title: 'An unexpected error occurred; it has been logged.' },
  NOT_IMPLEMENTED: { status: 501, title: 'This operation is specified but not available in this build.' },
  CHECKPOINT_UNSUPPORTED: {
    status: 501,
    title: 'The container engine cannot checkpoint (CRIU unavailable).',
  },
  WORKER_COMMAND_FAILED: {
    status: 502,
    title: 'The worker or its container engine could not carry out the command; see the message.',
  },
  STORE_UNAVAILABLE: { status: 503, title: 'A backing service (store or queue) is unreachable.' },
  NO_REPLICA_AVAILABLE: {
    status: 503,
    title: 'No replica of the service can take the request now; retry after Retry-After seconds.',
  },
  UPSTREAM_FAILED: { status: 502, title: 'The replica failed before it answered.' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A stable, public error code. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** All catalogue codes, in declaration order. */
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** The HTTP status a code maps to. */
export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CATALOGUE[code].status;
}
