import type { operations } from '../openapi/schema.js';
import type { JobSpec, JobWarning } from '../core/job/index.js';
import type { StreamBody } from './streamed-answer.js';

/** Every operationId in openapi/openapi.yaml (generated types). */
export type OperationId = keyof operations;

/** A request after spec-driven validation: typed params, coerced query, checked body. */
export interface ValidatedRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, unknown>>;
  /** Header parameters the spec declares, by lower-case name. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Set for operations whose body is a job (`x-rswarm-body-validator: job`). */
  readonly job: JobSpec | undefined;
  /** What the job validator read leniently (the compatibility route only). */
  readonly warnings?: readonly JobWarning[];
}

/** What a handler returns; the router writes it. */
export interface HandlerResult {
  readonly status: number;
  readonly body?: unknown;
  /** Defaults to JSON; `text/plain` sends `body` as a string. */
  readonly contentType?: 'application/json' | 'text/plain';
  /** A body written over time (followed logs, events) instead of `body`. */
  readonly stream?: StreamBody;
}

/** One operation's implementation. Throw an AppError for expected failures. */
export type OperationHandler = (req: ValidatedRequest) => Promise<HandlerResult>;

/** Implementations by operationId; an absent entry answers 501 NOT_IMPLEMENTED. */
export type OperationHandlers = Partial<Record<OperationId, OperationHandler>>;
