import type { Command, CommanderError } from 'commander';
import { registerConfigCommands } from './config-commands.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { registerJobCommands } from './job-commands.js';
import { registerJobLogs } from './job-logs.js';
import { registerNodeCommands } from './node-commands.js';
import { processIo, withClientOptions, type OperatorIo } from './operator-io.js';
import { clusterStatusAction, registerStrategyCommands } from './strategy-commands.js';

/**
 * `rswarm job|node|strategy|config …` and `rswarm cluster status` without `-f`: the operator's
 * client commands over the REST API. Only light modules may be imported statically here: these
 * commands must start in well under a second, so nothing of the control plane, Docker, the
 * databases or the charts is loaded. `io` is the process unless a test runs them in process.
 */
export function registerOperatorCommands(program: Command, io: OperatorIo = processIo()): void {
  // Commander's own exits (usage errors, --help) go through io: a usage error is exit 2.
  const configure = (c: Command): Command =>
    c
      .exitOverride((e: CommanderError) => io.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage))
      .configureOutput({
        writeOut: (s) => io.write(s),
        writeErr: (s) => io.err(s.trimEnd()),
      });
  registerJobCommands(program, io, configure);
  const job = program.commands.find((c) => c.name() === 'job') as Command;
  registerJobLogs(job, io);
  registerNodeCommands(program, io, configure);
  registerStrategyCommands(program, io, configure);
  registerConfigCommands(program, io, configure);
  // `cluster status` without -f asks the API; cli/cluster-commands.ts owns the `cluster` command
  // and wires that case to clusterStatusAction. Without it (a program of these commands only),
  // the command is added here.
  if (!program.commands.some((c) => c.name() === 'cluster')) {
    const cluster = configure(program.command('cluster').description('the cluster at a glance'));
    withClientOptions(
      cluster.command('status').description("the API's view: strategy, queue, jobs, workers, components"),
    ).action(clusterStatusAction(io));
  }
  program.addHelpText('after', EXIT_CODES_HELP);
}
