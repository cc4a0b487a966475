/**
 * The `rswarm` command: thin wiring only. Each subcommand loads the configuration once and hands
 * it to what it starts; nothing below reads the environment.
 *
 * Start-up stays light: only commander and the commands' registration are imported here. What a
 * command needs (the control plane, ZeroMQ, Docker, the databases, the charts, even the config
 * schema) is imported inside its action, so `rswarm --help` and the client commands never load it
 * (test/component/cli-startup.test.ts checks).
 */
import { readFileSync } from 'node:fs';
import { Command, type CommanderError } from 'commander';
import type { Config, ConfigInput } from '../core/config/index.js';
import { busyPortOf } from './all-in-one-ports.js';
import { registerClusterCommands } from './cluster-commands.js';
import { registerExportCommands } from './export-commands.js';
import type { ComponentName } from './control-plane.js';
import { registerKeyCommands } from './key-commands.js';
import { EXIT } from './operator/exit-codes.js';
import { registerOperatorCommands } from './operator/operator-commands.js';
import type { AllInOneFlags } from './process-commands.js';
import { registerStressCommands } from './stress-commands.js';

/** The client commands' target options, which a user may put before the command as in kubectl. */
const CLIENT_FLAG = /'(--url|--token|--context|--output|-o)'/;

interface GlobalOpts {
  config?: string;
}

const program = new Command('rswarm')
  .description('RESTfulSwarm: container-scheduling control plane')
  .option('-c, --config <file>', 'config file (JSON or YAML); also RSWARM_CONFIG');

/** The configuration loader (file from `--config`, environment, overrides), imported on first use. */
async function configLoader(): Promise<(overrides?: ConfigInput) => Config> {
  const { loadConfig } = await import('../core/config/index.js');
  const file = program.opts<GlobalOpts>().config;
  return (overrides = {}) => loadConfig({ ...(file ? { file } : {}), overrides });
}

async function config(): Promise<Config> {
  return (await configLoader())();
}

program
  .command('validate')
  .description('validate a job document (original or native format) and print it normalised')
  .argument('<file>', 'job document, JSON or YAML (- is stdin)')
  .action(async (file: string) => {
    const c = await config();
    const { validateJob } = await import('../core/job/index.js');
    const { readJobFile } = await import('./operator/job-file.js');
    const { CliError } = await import('./operator/exit-codes.js');
    let doc: Record<string, unknown>;
    try {
      doc = readJobFile(file, process.cwd(), () => readFileSync(0, 'utf8'));
    } catch (err) {
      // A missing or unparsable file: one line naming it (file:line:column), exit 2, no stack.
      if (!(err instanceof CliError)) throw err;
      console.error(`error: ${err.message}`);
      process.exitCode = err.exitCode;
      return;
    }
    const result = validateJob(
      doc,
      { ...c.job, maxBodyBytes: c.http.maxBodyBytes },
      { bodyBytes: Buffer.byteLength(JSON.stringify(doc)) },
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
  .action(async (opts: AllInOneFlags) => {
    const { runAllInOne } = await import('./process-commands.js');
    await runAllInOne(opts, await configLoader(), Boolean(process.env['RSWARM_STATE']));
  });

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
      const c = await config();
      const { runComponent } = await import('./process-commands.js');
      await runComponent(name, c);
    });
}

program
  .command('worker')
  .description(
    'run a worker agent (RSWARM_WORKER_ID, RSWARM_WORKER_RUNTIME, RSWARM_WORKER_CPUSET, RSWARM_WORKER_MEMORY)',
  )
  .action(async () => {
    const c = await config();
    const { runWorker } = await import('./process-commands.js');
    await runWorker(c);
  });

registerClusterCommands(program);
registerStressCommands(program);
registerKeyCommands(program, config);
registerOperatorCommands(program);
registerExportCommands(program);

// The program's own usage errors (unknown command or option before one, no command at all) exit 2
// like the client commands' (README, `rswarm --help`), not commander's default 1. Set after the
// subcommands are registered, so it applies to this level only.
program.exitOverride((e: CommanderError) => {
  if (e.code === 'commander.unknownOption' && CLIENT_FLAG.test(e.message))
    console.error('(client options go after the command: rswarm job ls --url … --token …)');
  process.exit(e.exitCode === 0 ? 0 : EXIT.usage);
});

try {
  await program.parseAsync();
} catch (err) {
  // A port taken while a component binds (any command): one line naming it, not a stack trace.
  const load = await configLoader();
  const line = busyPortOf(err, () => load());
  if (!line) throw err;
  console.error(line);
  process.exitCode = 1;
}
