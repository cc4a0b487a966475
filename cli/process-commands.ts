/**
 * The long-running commands of `rswarm` (all-in-one, one component alone, a worker). cli/main.ts
 * imports this module only inside those commands' actions: it pulls in the control plane, ZeroMQ,
 * Docker and the databases, which `rswarm --help` and the client commands must not load.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config, ConfigInput } from '../core/config/index.js';
import { componentLogger, createLogger, type Logger } from '../core/log/logger.js';
import { startWorker } from '../worker/main.js';
import { allInOnePorts } from './all-in-one-ports.js';
import { startControlPlane, type ComponentName } from './control-plane.js';
import { dockerReachable, localWorkerOptions, standaloneWorkerOptions } from './local-workers.js';

/** Loads the configuration with `overrides` over the file and environment (cli/main.ts's loader). */
export type ConfigLoader = (overrides?: ConfigInput) => Config;

/** The flags of `rswarm all-in-one`. */
export interface AllInOneFlags {
  port?: number;
  workers?: number;
  runtime?: 'auto' | 'docker' | 'simulated';
  realBackends?: boolean;
  freePorts?: boolean;
}

function writeTokenFile(token: string): string {
  const file = resolve('.rswarm', 'token');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return file;
}

/** Closes `close` on SIGINT/SIGTERM, then exits. */
function onSignal(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/**
 * `rswarm all-in-one`: every component and a few local workers in one process; prints the
 * banner (API, Swagger UI, dashboard, gateway, token, workers, control state) on stdout.
 * @param stateFromEnv whether RSWARM_STATE is set (then the environment chooses the state backend)
 */
export async function runAllInOne(
  opts: AllInOneFlags,
  config: ConfigLoader,
  stateFromEnv: boolean,
): Promise<void> {
  const asked: ConfigInput = {
    ...(opts.port !== undefined ? { http: { port: opts.port } } : {}),
    allInOne: {
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.runtime ? { runtime: opts.runtime } : {}),
    },
    // The embedded default keeps its control state in .rswarm/state, so a restart keeps every
    // accepted job (RSWARM_STATE=memory opts out).
    ...(opts.realBackends
      ? { backends: { store: 'mongo', queue: 'redis' } }
      : stateFromEnv
        ? {}
        : { backends: { state: 'file' } }),
  };
  // Free ports when asked; a busy port is one line and exit 1 (cli/all-in-one-ports.ts).
  const c = await allInOnePorts(config(asked), opts.freePorts === true, (extra) => config(extra(asked)));
  if (!c) return;
  const logger = createLogger(c.logLevel, undefined, c.logFormat);
  const token = c.http.token || randomBytes(24).toString('base64url');
  const tokenFile = writeTokenFile(token);
  const plane = await startControlPlane(
    c,
    ['frontend', 'job-manager', 'global-manager', 'discovery', 'gateway'],
    logger,
    { token },
  );
  let runtime: 'docker' | 'simulated' = c.allInOne.runtime === 'auto' ? 'simulated' : c.allInOne.runtime;
  if (c.allInOne.runtime === 'auto' && (await dockerReachable(c.backends.dockerHost))) runtime = 'docker';
  const workers = await Promise.all(
    localWorkerOptions(c, runtime, c.allInOne.workers).map((o) =>
      startWorker(o, componentLogger(logger, 'worker', { worker: o.workerId })),
    ),
  );
  console.log(`RESTfulSwarm API   ${plane.url}/api/v1`);
  console.log(`Swagger UI         ${plane.url}/docs`);
  console.log(`Dashboard          ${plane.url}/ui`);
  console.log(`Services gateway   ${plane.gatewayUrl}/<service>/<path>`);
  console.log(`Bearer token       ${token}  (also in ${tokenFile})`);
  console.log(`Workers            ${workers.length} local ${runtime} worker(s); store ${c.backends.store}`);
  console.log(`Control state      ${plane.stateLocation}`);
  onSignal(logger, async () => {
    await Promise.all(workers.map((w) => w.close()));
    await plane.close();
  });
}

/** `rswarm <component>`: one control-plane component alone, until SIGINT/SIGTERM. */
export async function runComponent(name: ComponentName, c: Config): Promise<void> {
  const logger = componentLogger(createLogger(c.logLevel, undefined, c.logFormat), name);
  if ((name === 'frontend' || name === 'gateway') && !c.http.token)
    throw new Error(`the ${name} needs the API's bearer token: set RSWARM_TOKEN`);
  const plane = await startControlPlane(c, [name], logger, { token: c.http.token });
  logger.info({ url: plane.url }, `${name} running`);
  onSignal(logger, () => plane.close());
}

/** `rswarm worker`: a worker agent from the `worker` config section, until SIGINT/SIGTERM. */
export async function runWorker(c: Config): Promise<void> {
  const logger = componentLogger(createLogger(c.logLevel, undefined, c.logFormat), 'worker');
  const agent = await startWorker(standaloneWorkerOptions(c, logger), logger);
  onSignal(logger, () => agent.close());
}
