import { ERROR_CATALOGUE, type ErrorCode } from './error-catalogue.js';
import type { FieldIssue } from './field-issue.js';

/** The JSON body of every error response (schema `ErrorResponse` in openapi/openapi.yaml). */
export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly status: number;
    readonly message: string;
    readonly details?: readonly FieldIssue[];
  };
}

/**
 * An error with a catalogue code. Anything thrown that is not an AppError is reported as
 * `INTERNAL` (and logged), so a client never sees a stack trace.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: readonly FieldIssue[] | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    details?: readonly FieldIssue[],
    options?: { cause?: unknown },
  ) {
    super(message ?? ERROR_CATALOGUE[code].title, options);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
  }

  /** The response body for this error. */
  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        status: this.status,
        message: this.message,
        ...(this.details && this.details.length > 0 ? { details: this.details } : {}),
      },
    };
  }
}

/** True when `err` is an {@link AppError}. */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
