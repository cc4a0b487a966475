/**
 * The `rswarm` command: thin wiring only. Each subcommand loads the configuration once and hands
 * it to the component it starts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig, type Config } from '../core/config/index.js';
import { validateJob, type JobRules } from '../core/job/index.js';
import { createLogger } from '../core/log/logger.js';
import { createApp } from '../frontend/create-app.js';

function jobRules(config: Config): JobRules {
  return { ...config.job, maxBodyBytes: config.http.maxBodyBytes };
}

function writeTokenFile(token: string): string {
  const file = resolve('.rswarm', 'token');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return file;
}

const program = new Command('rswarm')
  .description('RESTfulSwarm control plane')
  .option('-c, --config <file>', 'config file (JSON or YAML)');

program
  .command('validate')
  .description('validate a job document (original or native format) and print it normalised')
  .argument('<file>', 'job document, JSON')
  .action((file: string) => {
    const config = loadConfig({
      ...(program.opts<{ config?: string }>().config
        ? { file: program.opts<{ config: string }>().config }
        : {}),
    });
    const text = readFileSync(file, 'utf8');
    const result = validateJob(JSON.parse(text), jobRules(config), { bodyBytes: Buffer.byteLength(text) });
    if (result.ok) {
      console.log(JSON.stringify(result.job, null, 2));
    } else {
      for (const i of result.issues) console.error(`${i.code} ${i.pointer || '(body)'}: ${i.message}`);
      process.exitCode = 1;
    }
  });

program
  .command('all-in-one')
  .description('every component in one process on the embedded defaults')
  .option('-p, --port <port>', 'HTTP port (also RSWARM_PORT)', (v) => Number(v))
  .action((opts: { port?: number }) => {
    const configFile = program.opts<{ config?: string }>().config;
    const config = loadConfig({
      ...(configFile ? { file: configFile } : {}),
      overrides: opts.port !== undefined ? { http: { port: opts.port } } : {},
    });
    const logger = createLogger(config.logLevel);
    const token = config.http.token || randomBytes(24).toString('base64url');
    const tokenFile = writeTokenFile(token);
    const app = createApp({ token, jobRules: jobRules(config), logger, handlers: {} });
    const server = app.listen(config.http.port, config.http.host, () => {
      const base = `http://${config.http.host}:${config.http.port}`;
      console.log(`RESTfulSwarm API   ${base}/api/v1`);
      console.log(`Swagger UI         ${base}/docs`);
      console.log(`Bearer token       ${token}  (also in ${tokenFile})`);
    });
    const stop = (): void => {
      server.close(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program.parse();
