/**
 * `rswarm cluster up|status|down -f cluster.yaml`: wiring of the management engine's ports to
 * their real adapters. The engine itself lives in management-engine/.
 */
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { systemClock } from '../core/clock/clock.js';
import { childEnvironment } from '../management-engine/bring-up-plan.js';
import { ClusterFileError, loadClusterFile } from '../management-engine/cluster-file.js';
import { BringUpError, ClusterEngine, type StatusReport } from '../management-engine/cluster-engine.js';
import { createHttpProbe } from '../management-engine/control-plane-probe.js';
import { createLocalProcessLauncher, runForeground } from '../management-engine/local-process-launcher.js';
import { connectSsh } from '../management-engine/ssh-remote-shell.js';
import { processIo, withClientOptions, type ClientFlags } from './operator/operator-io.js';
import { clusterStatusAction } from './operator/strategy-commands.js';

/** How this CLI runs itself: the argv prefix and the repository directory. */
export interface SelfCommand {
  readonly rswarmCommand: readonly string[];
  readonly repoDir: string;
}

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');

/** This checkout's `rswarm`: the running node with tsx on cli/main.ts, run from the repository root. */
export const SELF: SelfCommand = {
  // tsx resolved here, so the command also works from another working directory.
  rswarmCommand: [process.execPath, '--import', import.meta.resolve('tsx'), MAIN],
  repoDir: dirname(dirname(MAIN)),
};

function engineFor(file: string, self: SelfCommand): ClusterEngine {
  const spec = loadClusterFile(file, {
    mongoUrl: process.env['MONGO_URL'],
    redisUrl: process.env['REDIS_URL'],
  });
  const baseEnv = childEnvironment(process.env);
  return ClusterEngine.create(spec, {
    local: createLocalProcessLauncher({ clock: systemClock, baseEnv }),
    connect: connectSsh,
    probe: createHttpProbe(),
    clock: systemClock,
    out: (line) => console.log(line),
    runForeground: (argv, cwd) => runForeground(argv, baseEnv, cwd),
    rswarmCommand: self.rswarmCommand,
    cwd: self.repoDir,
    defaultKnownHosts: join(homedir(), '.ssh', 'known_hosts'),
    secret: () => randomBytes(24).toString('base64url'),
  });
}

async function withEngine(
  file: string,
  self: SelfCommand,
  fn: (e: ClusterEngine) => Promise<void>,
): Promise<void> {
  let engine: ClusterEngine | undefined;
  try {
    engine = engineFor(file, self);
    await fn(engine);
  } catch (err) {
    // Expected failures (bad file, refused host key, a component that died) carry their whole
    // story in the message: print it without a stack trace.
    if (err instanceof ClusterFileError || err instanceof BringUpError) {
      console.error(`rswarm cluster: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  } finally {
    await engine?.close();
  }
}

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
      withEngine(opts.file, self, async (e) => {
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
      : withEngine(opts.file, self, async (e) => {
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
      withEngine(opts.file, self, async (e) => {
        const r = await e.down();
        if (r.remaining.length > 0) process.exitCode = 1;
      }),
    );
}
