/**
 * The management engine wired to its real adapters (local processes, SSH, HTTP probe), for
 * `rswarm cluster …`. cli/cluster-commands.ts imports this module inside the actions only: it
 * pulls in ssh2 and the engine, which `rswarm --help` must not load.
 */
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock/clock.js';
import { childEnvironment } from '../management-engine/bring-up-plan.js';
import { ClusterFileError, loadClusterFile } from '../management-engine/cluster-file.js';
import { BringUpError, ClusterEngine } from '../management-engine/cluster-engine.js';
import { createHttpProbe } from '../management-engine/control-plane-probe.js';
import { createLocalProcessLauncher, runForeground } from '../management-engine/local-process-launcher.js';
import { connectSsh } from '../management-engine/ssh-remote-shell.js';
import type { SelfCommand } from './self-command.js';

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

/**
 * Runs `fn` on an engine for cluster file `file`, then closes it. Expected failures (bad file,
 * refused host key, a component that died) carry their whole story in the message: they are
 * printed without a stack trace, exit code 1.
 */
export async function withEngine(
  file: string,
  self: SelfCommand,
  fn: (e: ClusterEngine) => Promise<void>,
): Promise<void> {
  let engine: ClusterEngine | undefined;
  try {
    engine = engineFor(file, self);
    await fn(engine);
  } catch (err) {
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
