import express, { type Express, type Request } from 'express';
import swaggerUi from 'swagger-ui-express';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { systemClock, type Clock } from '../core/clock/clock.js';
import type { JobRules } from '../core/job/index.js';
import type { Logger } from '../core/log/logger.js';
import { configSchema } from '../core/config/index.js';
import { loadSpec, specOperations } from '../core/openapi/index.js';
import type { AuthFailureLimit } from './auth-failure-limit.js';
import type { CompatAccess } from './compat-access.js';
import { dashboardRouter } from './dashboard-route.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { httpMetrics } from './http-metrics.js';
import { methodNotAllowed } from './method-not-allowed.js';
import type { OperationHandlers } from './operation-handler.js';
import { securityHeaders } from './security-headers.js';
import { createSpecRouter } from './spec-router.js';

/** Everything the FrontEnd's HTTP app is built from. */
export interface FrontEndDeps {
  readonly token: string;
  readonly jobRules: JobRules;
  readonly logger: Logger;
  /** Implementations by operationId; `getHealth` and `getMetrics` have defaults. */
  readonly handlers: OperationHandlers;
  /** Prometheus registry; a fresh one with default metrics when absent. */
  readonly metrics?: Registry;
  /** Extra readiness checks reported by /healthz; any non-"ok" value makes it 503. */
  readonly healthChecks?: () => Promise<Record<string, string>>;
  /** Failed authentications per client address and window (config `http.authFailures`). */
  readonly authFailures?: AuthFailureLimit;
  /** Timers of streamed answers (keepalives, follow polls, the stream limit); the system clock by default. */
  readonly clock?: Clock;
  /** Longest a streamed answer stays open (config `http.maxStreamMs`); 0 or absent = no limit. */
  readonly maxStreamMs?: number;
  /** Anonymous access to the original's two routes (config `compat`); absent: off. */
  readonly compat?: CompatAccess;
  /** The client address anonymous access is decided on; the socket's peer by default. */
  readonly clientAddress?: (req: Request) => string | undefined;
}

/** Routes the app serves outside the spec: the spec itself, its UI and the web dashboard. */
export const INFRASTRUCTURE_ROUTES = ['GET /openapi.json', 'GET /docs', 'GET /ui'] as const;

/**
 * Builds the FrontEnd's express app without listening, so tests can drive it in process.
 * Routes come from openapi/openapi.yaml; `/docs` serves Swagger UI, `/openapi.json` the spec and
 * `/ui` the web dashboard (static files; the page calls the API with the operator's token).
 * Every answer carries the security headers; a known path with an unserved method is 405.
 */
export function createApp(deps: FrontEndDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.set('query parser', 'simple');
  const metrics = deps.metrics ?? new Registry();
  if (!deps.metrics) collectDefaultMetrics({ register: metrics });
  app.use(httpMetrics(metrics, ['/openapi.json', '/docs/*', '/ui/*']));
  const spec = loadSpec();

  app.get('/openapi.json', (_req, res) => {
    res.json(spec);
  });
  app.use('/docs', swaggerUi.serve);
  app.get('/docs', swaggerUi.setup(spec as object, { customSiteTitle: 'RESTfulSwarm API' }));
  app.use(dashboardRouter());

  const handlers: OperationHandlers = {
    getHealth: async () => {
      const checks = deps.healthChecks ? await deps.healthChecks() : {};
      const ok = Object.values(checks).every((v) => v === 'ok');
      return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'degraded', checks } };
    },
    getMetrics: async () => ({ status: 200, body: await metrics.metrics(), contentType: 'text/plain' }),
    ...deps.handlers,
  };
  app.use(
    createSpecRouter({
      token: deps.token,
      jobRules: deps.jobRules,
      handlers,
      authFailures: deps.authFailures ?? configSchema.parse({}).http.authFailures,
      streams: { logger: deps.logger, clock: deps.clock ?? systemClock, maxStreamMs: deps.maxStreamMs ?? 0 },
      ...(deps.compat ? { compat: deps.compat } : {}),
      ...(deps.clientAddress ? { clientAddress: deps.clientAddress } : {}),
    }),
  );
  app.use(
    methodNotAllowed([
      ...specOperations().map((o) => ({ path: o.expressPath, methods: [o.method] })),
      ...INFRASTRUCTURE_ROUTES.map((r) => {
        const [method, path] = r.split(' ') as [string, string];
        return { path, methods: [method] };
      }),
    ]),
  );
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
