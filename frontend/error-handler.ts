import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError } from '../core/errors/index.js';
import type { Logger } from '../core/log/logger.js';

interface HttpParserError {
  type?: string;
  status?: number;
  /** http-errors sets it on client errors (4xx): the message may be shown to the client. */
  expose?: boolean;
}

/**
 * Maps express's and body-parser's failures onto catalogue codes, so a client mistake is never a
 * 500.
 */
function fromParser(err: HttpParserError & Error): AppError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return new AppError(
        'BODY_TOO_LARGE',
        `the body exceeds the limit of ${String((err as { limit?: number }).limit ?? '')} bytes`,
      );
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON', `the body is not valid JSON: ${err.message}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', err.message);
    default:
      break;
  }
  // The router could not percent-decode a path segment ("%", "%E0%A4%A"): a malformed URL.
  if (err instanceof URIError && err.status === 400) {
    return new AppError('VALIDATION_FAILED', 'the path is not valid percent-encoded UTF-8', [
      { code: 'FIELD_FORMAT', pointer: '/path', message: err.message },
    ]);
  }
  // Any other client error from reading the body: a compressed body that does not inflate
  // (Content-Encoding gzip, deflate or br; zlib's error, untyped), a body shorter than its
  // Content-Length, an aborted upload.
  if (err.status === 400 && err.expose === true) {
    return new AppError('MALFORMED_JSON', `the body could not be read: ${err.message}`);
  }
  return undefined;
}

/** The one error middleware: every error leaves as an `ErrorResponse` with a catalogue code. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const appError = isAppError(err) ? err : fromParser(err as HttpParserError & Error);
    if (appError) {
      if (appError.status >= 500) logger.error({ err, path: req.path }, appError.message);
      // 503 means "nothing was kept, or it is not known yet": a client should come back soon.
      if (appError.status === 503) res.setHeader('Retry-After', '1');
      res.status(appError.status).json(appError.toBody());
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json(new AppError('INTERNAL').toBody());
  };
}

/** Answers unknown routes with `NOT_FOUND` in the common error body. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route ${req.method} ${req.path}`));
};

/** Refuses bodies that are not JSON on methods that carry one. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    next(
      new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `content-type ${req.headers['content-type'] ?? '(none)'} is not application/json`,
      ),
    );
    return;
  }
  next();
};
