import express, { Router } from 'express';
import { packagePath } from '../core/paths/package-root.js';

/**
 * Folder of the dashboard's static files (HTML, ES modules, CSS). They are not TypeScript, so
 * they are read from the package's frontend/ui/ whether this module runs from source or dist/.
 */
export const DASHBOARD_DIR = packagePath('frontend', 'ui');

/** The dashboard's path on the FrontEnd. */
export const DASHBOARD_PATH = '/ui';

/**
 * Serves the web dashboard: `GET /ui` is the page, `/ui/<file>` its scripts and stylesheet. The
 * files are public code holding no data, so no token is asked here; the page asks the operator
 * for the token and sends it on every API call. Unknown files fall through to the 404 handler;
 * `no-cache` makes a browser revalidate after an upgrade instead of mixing old and new modules.
 */
export function dashboardRouter(dir: string = DASHBOARD_DIR): Router {
  const router = Router();
  const noCache = { 'Cache-Control': 'no-cache' };
  router.get(DASHBOARD_PATH, (_req, res, next) => {
    res.sendFile('index.html', { root: dir, headers: noCache }, (err) => {
      if (err) next(err);
    });
  });
  router.use(
    DASHBOARD_PATH,
    express.static(dir, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      fallthrough: true,
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );
  return router;
}
