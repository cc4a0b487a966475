import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers on every answer (helmet): a content security policy, no sniffing, no framing,
 * no referrer, cross-origin isolation. The policy lets Swagger UI at `/docs` work: its scripts
 * and styles are files served from `/docs` itself, its icons are `data:` images, and "Try it
 * out" calls this same origin. `upgrade-insecure-requests` is left out because the FrontEnd
 * speaks plain HTTP unless a proxy terminates TLS in front of it.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        // Swagger UI sets inline style attributes.
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'frame-ancestors': ["'none'"],
        'upgrade-insecure-requests': null,
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
