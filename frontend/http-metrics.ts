import type { RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { specOperations } from '../core/openapi/index.js';
import { STREAM_HEAD_SENT } from './streamed-answer.js';

/** HTTP request duration at the FrontEnd, by method, route template and status. */
export const HTTP_DURATION_METRIC = 'rswarm_http_request_duration_seconds';

/** The route label of a request no spec path matches (bounded cardinality: never the raw URL). */
export const OTHER_ROUTE = 'other';

/**
 * Maps a request path to its OpenAPI path template (`/api/v1/jobs/{name}`), so the label set is
 * bounded by the spec. A literal segment wins over a parameter (`/api/v1/jobs/stats` before
 * `/api/v1/jobs/{name}`); `extra` names further routes served outside the spec (prefixes ending
 * in `/*` match everything below them). Anything else is {@link OTHER_ROUTE}.
 */
export function routeTemplater(
  templates: readonly string[],
  extra: readonly string[] = [],
): (path: string) => string {
  const compiled = [...new Set(templates)]
    .map((t) => {
      const segments = t.split('/');
      const params = segments.filter((s) => /^\{[^}]+\}$/.test(s)).length;
      const pattern = segments
        .map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      return { template: t, re: new RegExp(`^${pattern}/?$`), params };
    })
    // Fewer parameters first, then the literal segments left to right.
    .sort((a, b) => a.params - b.params || literalRank(b.template) - literalRank(a.template));
  const prefixes = extra.filter((e) => e.endsWith('/*')).map((e) => e.slice(0, -2));
  const exact = new Set(extra.filter((e) => !e.endsWith('/*')));
  return (path) => {
    const p = path.split('?')[0] ?? '';
    for (const c of compiled) if (c.re.test(p)) return c.template;
    if (exact.has(p)) return p;
    for (const prefix of prefixes) if (p === prefix || p.startsWith(`${prefix}/`)) return prefix;
    return OTHER_ROUTE;
  };
}

/** Where the first parameter sits: later is more literal. */
function literalRank(template: string): number {
  const i = template.split('/').findIndex((s) => s.startsWith('{'));
  return i === -1 ? Number.MAX_SAFE_INTEGER : i;
}

/**
 * Express middleware timing every request into `rswarm_http_request_duration_seconds{method,
 * route, status, status_class}` on `registry` (one histogram per registry, however many apps).
 * A streamed answer (followed logs, events) counts until its head went out, not for as long as
 * the client listens; it is counted when it ends, or when the client leaves before the end.
 */
export function httpMetrics(registry: Registry, extraRoutes: readonly string[] = []): RequestHandler {
  const histogram =
    (registry.getSingleMetric(HTTP_DURATION_METRIC) as Histogram | undefined) ??
    new Histogram({
      name: HTTP_DURATION_METRIC,
      help: 'FrontEnd HTTP request duration, by method, OpenAPI route template and status.',
      labelNames: ['method', 'route', 'status', 'status_class'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  const route = routeTemplater(
    specOperations().map((o) => o.path),
    extraRoutes,
  );
  const methods = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    let counted = false;
    const count = (): void => {
      if (counted) return;
      counted = true;
      const head = res.locals[STREAM_HEAD_SENT] as bigint | undefined;
      const seconds = Number((head ?? process.hrtime.bigint()) - start) / 1e9;
      histogram.observe(
        {
          method: methods.has(req.method) ? req.method : 'OTHER',
          route: route(req.originalUrl),
          status: String(res.statusCode),
          status_class: `${Math.floor(res.statusCode / 100)}xx`,
        },
        seconds,
      );
    };
    res.once('finish', count);
    res.once('close', count);
    next();
  };
}
