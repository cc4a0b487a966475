import type { RequestHandler } from 'express';
import { AppError } from '../core/errors/index.js';

/** One path the app serves and the methods it serves it with. */
export interface KnownRoute {
  /** Express syntax, e.g. `/api/v1/jobs/:name`. */
  readonly path: string;
  readonly methods: readonly string[];
}

function matcher(path: string): RegExp {
  const escaped = path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}

/**
 * Answers a request for a known path with a method it does not serve with 405
 * `METHOD_NOT_ALLOWED` and an `Allow` header (RFC 9110 §15.5.6), instead of 404. Mount it after
 * every route; unknown paths fall through to the 404 handler.
 */
export function methodNotAllowed(routes: readonly KnownRoute[]): RequestHandler {
  const byPath = new Map<string, { re: RegExp; methods: Set<string> }>();
  for (const r of routes) {
    const entry = byPath.get(r.path) ?? { re: matcher(r.path), methods: new Set<string>() };
    for (const m of r.methods) {
      entry.methods.add(m.toUpperCase());
      // express answers HEAD with the GET route, and OPTIONS for any path it routes.
      if (m.toUpperCase() === 'GET') entry.methods.add('HEAD');
    }
    entry.methods.add('OPTIONS');
    byPath.set(r.path, entry);
  }
  const known = [...byPath.values()];
  return (req, res, next) => {
    const hit = known.find((k) => k.re.test(req.path));
    if (!hit || hit.methods.has(req.method)) {
      next();
      return;
    }
    const allow = [...hit.methods].join(', ');
    res.setHeader('Allow', allow);
    next(
      new AppError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; allowed: ${allow}`),
    );
  };
}
