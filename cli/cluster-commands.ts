/**
 * `rswarm cluster up|status|down -f cluster.yaml`: the commands. Their actions import the
 * engine's wiring (cli/cluster-engine-run.ts: ssh2, the engine) only when they run; the engine
 * itself lives in management-engine/.
 */
import type { Command } from 'commander';
import { processIo, withClientOptions, type ClientFlags } from './operator/operator-io.js';
import { clusterStatusAction } from './operator/strategy-commands.js';
import type { StatusReport } from '../management-engine/cluster-engine.js';
import { selfCommand, type SelfCommand } from './self-command.js';

/** This package's `rswarm`, as it runs now (built or from source): cli/self-command.ts. */
export const SELF: SelfCommand = selfCommand();

function printStatus(r: StatusReport): void {
  if (!r.state) {
    console.log('no cluster recorded (no state file): nothing runs that `cluster up` started');
    return;
  }
  console.log(`cluster "${r.state.cluster}" started ${r.state.startedAt}; API ${r.state.apiUrl}/api/v1`);
  for (const p of r.processes) {
    const where =
      p.record.kind === 'local'
        ? 'local'
        : `${p.record.target.user}@${p.record.target.host}:${p.record.target.port}`;
    const state = p.running === true ? 'running' : p.running === false ? 'NOT RUNNING' : p.running;
    console.log(
      `  ${p.record.name.padEnd(22)} pid ${String(p.record.pid).padEnd(8)} ${where.padEnd(28)} ${state}`,
    );
  }
  if (r.apiError) console.log(`  API: unreachable: ${r.apiError}`);
  else {
    const states = Object.entries(r.workersByState ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(`  API: workers ${states || 'none'}; queue depth ${r.queueDepth}`);
  }
}

/** Adds `rswarm cluster …` to `program`. */
export function registerClusterCommands(program: Command, self: SelfCommand = SELF): void {
  const cluster = program
    .command('cluster')
    .description('run a cluster from a cluster file: control plane locally, workers over SSH');
  cluster
    .command('up')
    .description('start the control plane (health-checked, in dependency order) and the workers over SSH')
    .requiredOption('-f, --file <cluster.yaml>', 'cluster file')
    .option('--stress', "run the cluster file's stress section after bring-up")
    .action(async (opts: { file: string; stress?: boolean }) =>
      (await import('./cluster-engine-run.js')).withEngine(opts.file, self, async (e) => {
        const r = await e.up({ ...(opts.stress ? { stress: true } : {}) });
        if (r.stressExitCode !== undefined && r.stressExitCode !== 0) process.exitCode = r.stressExitCode;
      }),
    );
  const clusterStatus = cluster
    .command('status')
    .description(
      "with -f: recorded processes (alive?) and the API's view of workers and the queue; without: the API's view only (strategy, queue, jobs, workers, components) at --url / the context",
    )
    .option('-f, --file <cluster.yaml>', 'cluster file')
    .option('--json', 'print JSON');
  withClientOptions(clusterStatus).action(async (opts: ClientFlags & { file?: string; json?: boolean }) =>
    !opts.file
      ? clusterStatusAction(processIo())({ ...opts, ...(opts.json ? { output: 'json' } : {}) })
      : (await import('./cluster-engine-run.js')).withEngine(opts.file, self, async (e) => {
          const r = await e.status();
          if (opts.json) console.log(JSON.stringify(r, null, 2));
          else printStatus(r);
          if (r.state && r.processes.some((p) => p.running !== true)) process.exitCode = 3;
        }),
  );
  cluster
    .command('down')
    .description('stop exactly the processes `up` started (workers first), then remove the state file')
    .requiredOption('-f, --file <cluster.yaml>', 'cluster file')
    .action(async (opts: { file: string }) =>
      (await import('./cluster-engine-run.js')).withEngine(opts.file, self, async (e) => {
        const r = await e.down();
        if (r.remaining.length > 0) process.exitCode = 1;
      }),
    );
}
