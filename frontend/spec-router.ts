import express, {
  type Request,
  type Response,
  type NextFunction,
  type RequestHandler,
  type Router,
} from 'express';
import { AppError, jsonPointer, type FieldIssue } from '../core/errors/index.js';
import { validateJob, type JobRules, type JobSpec, type JobWarning } from '../core/job/index.js';
import {
  SchemaValidator,
  specOperations,
  type SpecOperation,
  type SpecParameter,
} from '../core/openapi/index.js';
import { authFailureGuard, type AuthFailureLimit } from './auth-failure-limit.js';
import { bearerAuth } from './bearer-auth.js';
import { COMPAT_OPERATIONS, compatAuth, type CompatAccess } from './compat-access.js';
import { requireJson } from './error-handler.js';
import type { OperationHandlers, OperationId, ValidatedRequest } from './operation-handler.js';
import { writeStreamedAnswer, type StreamOptions } from './streamed-answer.js';

/** What the router needs besides the handlers. */
export interface SpecRouterOptions {
  readonly token: string;
  readonly jobRules: JobRules;
  readonly handlers: OperationHandlers;
  /** Failed authentications allowed per client address and window on secured operations. */
  readonly authFailures: AuthFailureLimit;
  /** How streamed answers (followed logs, events) are written. */
  readonly streams: StreamOptions;
  /** Anonymous access to the original's two routes (config `compat`); absent: off. */
  readonly compat?: CompatAccess;
  /** The client address anonymous access is decided on; the socket's peer by default. */
  readonly clientAddress?: (req: Request) => string | undefined;
}

function coerce(param: SpecParameter, raw: string): unknown {
  const type = (param.schema as { type?: string } | undefined)?.type;
  if (type === 'integer' || type === 'number')
    return raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

function readParams(
  op: SpecOperation,
  req: Request,
  validator: SchemaValidator,
  issues: FieldIssue[],
): { params: Record<string, string>; query: Record<string, unknown>; headers: Record<string, string> } {
  const params: Record<string, string> = {};
  const query: Record<string, unknown> = {};
  const headers: Record<string, string> = {};
  for (const p of op.parameters) {
    if (p.in === 'cookie') continue;
    const source =
      p.in === 'path'
        ? (req.params as Record<string, string>)
        : p.in === 'header'
          ? { [p.name]: req.get(p.name) }
          : (req.query as Record<string, unknown>);
    const raw = source[p.name];
    const base = `/${p.in}${jsonPointer(p.name)}`;
    if (raw === undefined) {
      if (p.required)
        issues.push({
          code: 'FIELD_REQUIRED',
          pointer: base,
          message: `${p.in} parameter "${p.name}" is required`,
        });
      const dflt = (p.schema as { default?: unknown } | undefined)?.default;
      if (dflt !== undefined && p.in === 'query') query[p.name] = dflt;
      continue;
    }
    if (typeof raw !== 'string') {
      issues.push({
        code: 'FIELD_TYPE',
        pointer: base,
        message: `${p.in} parameter "${p.name}" must be given once`,
      });
      continue;
    }
    const value = coerce(p, raw);
    issues.push(...validator.validate(p.schema, value, base));
    if (p.in === 'path') params[p.name] = raw;
    else if (p.in === 'header') headers[p.name.toLowerCase()] = raw;
    else query[p.name] = value;
  }
  return { params, query, headers };
}

function readBody(
  op: SpecOperation,
  req: Request,
  rules: JobRules,
  validator: SchemaValidator,
  issues: FieldIssue[],
): { body: unknown; job: JobSpec | undefined; warnings?: readonly JobWarning[] } {
  // express.json leaves req.body undefined when the request carried no body.
  const hasBody = req.body !== undefined;
  if (!op.bodySchema) return { body: undefined, job: undefined };
  if (!hasBody) {
    if (op.bodyRequired)
      issues.push({ code: 'FIELD_REQUIRED', pointer: '', message: 'a JSON body is required' });
    return { body: undefined, job: undefined };
  }
  if (op.bodyValidator === 'job') {
    const bodyBytes = Number(req.headers['content-length'] ?? 0) || undefined;
    // The original's route reads its documents leniently (with warnings); the native one is strict.
    const compat = op.operationId === 'compatSubmitJob';
    const result = validateJob(req.body, rules, {
      ...(compat ? { format: 'original', lenient: true } : {}),
      ...(bodyBytes ? { bodyBytes } : {}),
    });
    if (!result.ok) {
      issues.push(...result.issues);
      return { body: req.body, job: undefined };
    }
    return { body: req.body, job: result.job, warnings: result.warnings };
  }
  issues.push(...validator.validate(op.bodySchema, req.body));
  return { body: req.body, job: undefined };
}

/**
 * Mounts every operation of openapi/openapi.yaml on a router: the failed-authentication limit and
 * authentication where the spec asks for it, then the body (read only for operations that take
 * one, and only once the caller is authenticated, so an anonymous client meets 401 whatever it
 * sends), parameter and body validation driven by the spec's schemas, then the handler for the
 * operationId (501 NOT_IMPLEMENTED when none is registered).
 */
export function createSpecRouter(options: SpecRouterOptions): Router {
  const router = express.Router();
  const validator = new SchemaValidator();
  const failures = authFailureGuard(options.authFailures);
  const guard: RequestHandler[] = [failures.check, bearerAuth(options.token, failures.recordFailure)];
  const compatGuard = compatAuth(
    options.compat ?? { allowAnonymous: false, anonymousNetworks: [] },
    guard,
    options.clientAddress,
  );
  const readJson: RequestHandler[] = [
    requireJson,
    express.json({ limit: options.jobRules.maxBodyBytes, strict: false }),
  ];
  for (const op of specOperations()) {
    const handler = options.handlers[op.operationId as OperationId];
    const chain = [
      ...(op.secured ? (COMPAT_OPERATIONS.has(op.operationId) ? [compatGuard] : guard) : []),
      ...(op.bodySchema ? readJson : []),
      async (req: Request, res: Response, next: NextFunction): Promise<void> => {
        try {
          const issues: FieldIssue[] = [];
          const { params, query, headers } = readParams(op, req, validator, issues);
          const { body, job, warnings } = readBody(op, req, options.jobRules, validator, issues);
          if (issues.length > 0) {
            const tooLarge = issues.find((i) => i.code === 'BODY_TOO_LARGE');
            throw tooLarge
              ? new AppError('BODY_TOO_LARGE', tooLarge.message)
              : new AppError('VALIDATION_FAILED', `${issues.length} problem(s) in the request`, issues);
          }
          if (!handler)
            throw new AppError(
              'NOT_IMPLEMENTED',
              `${op.operationId} is specified but not available in this build`,
            );
          const validated: ValidatedRequest = {
            params,
            query,
            headers,
            body,
            job,
            ...(warnings ? { warnings } : {}),
          };
          const result = await handler(validated);
          if (result.stream) {
            await writeStreamedAnswer(req, res, result.status, result.stream, options.streams);
            return;
          }
          res.status(result.status);
          if (result.body === undefined) res.end();
          else if (result.contentType === 'text/plain')
            res
              .type('text/plain')
              .send(typeof result.body === 'string' ? result.body : JSON.stringify(result.body));
          else res.json(result.body);
        } catch (err) {
          next(err);
        }
      },
    ];
    router[op.method](op.expressPath, ...chain);
  }
  return router;
}
