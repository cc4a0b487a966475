/**
 * The `rswarm` command: thin wiring only. Each subcommand loads the configuration once and hands
 * it to what it starts; nothing below reads the environment.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig, type Config, type ConfigInput } from '../core/config/index.js';
import { validateJob } from '../core/job/index.js';
import { componentLogger, createLogger, type Logger } from '../core/log/logger.js';
import { startWorker } from '../worker/main.js';
import { registerClusterCommands } from './cluster-commands.js';
import { allInOnePorts, busyPortOf } from './all-in-one-ports.js';
import { registerKeyCommands } from './key-commands.js';
import { registerOperatorCommands } from './operator/operator-commands.js';
import { startControlPlane, type ComponentName } from './control-plane.js';
import { registerStressCommands } from './stress-commands.js';
import { dockerReachable, localWorkerOptions, standaloneWorkerOptions } from './local-workers.js';

interface GlobalOpts {
  config?: string;
}

const program = new Command('rswarm')
  .description('RESTfulSwarm: container-scheduling control plane')
  .option('-c, --config <file>', 'config file (JSON or YAML); also RSWARM_CONFIG');

function config(overrides: ConfigInput = {}): Config {
  const file = program.opts<GlobalOpts>().config;
  return loadConfig({ ...(file ? { file } : {}), overrides });
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

program
  .command('validate')
  .description('validate a job document (original or native format) and print it normalised')
  .argument('<file>', 'job document, JSON')
  .action((file: string) => {
    const c = config();
    const text = readFileSync(file, 'utf8');
    const result = validateJob(
      JSON.parse(text),
      { ...c.job, maxBodyBytes: c.http.maxBodyBytes },
      { bodyBytes: Buffer.byteLength(text) },
    );
    if (result.ok) {
      console.log(JSON.stringify(result.job, null, 2));
      return;
    }
    for (const i of result.issues) console.error(`${i.code} ${i.pointer || '(body)'}: ${i.message}`);
    process.exitCode = 1;
  });

program
  .command('all-in-one')
  .description(
    'every component and a few local workers in one process (control state in .rswarm/state by default)',
  )
  .option('-p, --port <port>', 'HTTP port (also RSWARM_PORT)', Number)
  .option('-w, --workers <n>', 'local workers (also RSWARM_WORKERS)', Number)
  .option('--runtime <kind>', 'auto | docker | simulated (also RSWARM_RUNTIME)')
  .option(
    '--real-backends',
    'use MongoDB (MONGO_URL) and Redis (REDIS_URL) instead of the embedded store and queue',
  )
  .option('--free-ports', 'pick a free port for every endpoint and print them (also allInOne.freePorts)')
  .action(
    async (opts: {
      port?: number;
      workers?: number;
      runtime?: 'auto' | 'docker' | 'simulated';
      realBackends?: boolean;
      freePorts?: boolean;
    }) => {
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
          : process.env['RSWARM_STATE']
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
      console.log(`Services gateway   ${plane.gatewayUrl}/<service>/<path>`);
      console.log(`Bearer token       ${token}  (also in ${tokenFile})`);
      console.log(
        `Workers            ${workers.length} local ${runtime} worker(s); store ${c.backends.store}`,
      );
      console.log(`Control state      ${plane.stateLocation}`);
      onSignal(logger, async () => {
        await Promise.all(workers.map((w) => w.close()));
        await plane.close();
      });
    },
  );

for (const name of [
  'frontend',
  'job-manager',
  'global-manager',
  'discovery',
  'gateway',
] as const satisfies readonly ComponentName[]) {
  program
    .command(name)
    .description(
      `run the ${name} alone (needs MongoDB, and Redis for standby JobManagers: RSWARM_STORE=mongo RSWARM_QUEUE=redis)`,
    )
    .action(async () => {
      const c = config();
      const logger = componentLogger(createLogger(c.logLevel, undefined, c.logFormat), name);
      if ((name === 'frontend' || name === 'gateway') && !c.http.token)
        throw new Error(`the ${name} needs the API's bearer token: set RSWARM_TOKEN`);
      const plane = await startControlPlane(c, [name], logger, { token: c.http.token });
      logger.info({ url: plane.url }, `${name} running`);
      onSignal(logger, () => plane.close());
    });
}

program
  .command('worker')
  .description(
    'run a worker agent (RSWARM_WORKER_ID, RSWARM_WORKER_RUNTIME, RSWARM_WORKER_CPUSET, RSWARM_WORKER_MEMORY)',
  )
  .action(async () => {
    const c = config();
    const logger = componentLogger(createLogger(c.logLevel, undefined, c.logFormat), 'worker');
    const agent = await startWorker(standaloneWorkerOptions(c, logger), logger);
    onSignal(logger, () => agent.close());
  });

registerClusterCommands(program);
registerStressCommands(program);
registerKeyCommands(program, () => config());
registerOperatorCommands(program);

try {
  await program.parseAsync();
} catch (err) {
  // A port taken while a component binds (any command): one line naming it, not a stack trace.
  const line = busyPortOf(err, () => config());
  if (!line) throw err;
  console.error(line);
  process.exitCode = 1;
}
