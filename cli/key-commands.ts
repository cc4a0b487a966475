import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../core/config/index.js';
import type { Keyring } from '../core/security/keyring.js';

/**
 * `rswarm keys …`: the operator's view of the worker link's keyring (`<cluster.keysDir>/keyring.json`,
 * docs/design/security.md). Running GlobalManagers and Discovery re-read the file when it
 * changes, so a revocation takes effect within about a second. The keyring is imported inside the
 * actions, and from its own files (not core/security's index, which loads ZeroMQ), so these
 * commands stay light.
 */
export function registerKeyCommands(program: Command, config: () => Promise<Config>): void {
  const keys = program.command('keys').description("the worker link's enrolled worker keys");
  const open = async (): Promise<Keyring> => {
    const [{ KEY_FILES }, { Keyring }] = await Promise.all([
      import('../core/security/cluster-keys.js'),
      import('../core/security/keyring.js'),
    ]);
    return Keyring.open(join(resolve((await config()).cluster.keysDir), KEY_FILES.keyring));
  };
  keys
    .command('list')
    .description('print each enrolled worker id and its public key')
    .action(async () => {
      const ring = await open();
      for (const id of ring.workers()) console.log(`${id}\t${ring.keyOf(id) ?? ''}`);
    });
  keys
    .command('revoke <workerId>')
    .description('revoke a worker key for good: its messages are refused and it is reported lost')
    .action(async (workerId: string) => {
      if (!(await open()).revoke(workerId)) {
        console.error(`${workerId} is not enrolled`);
        process.exitCode = 1;
        return;
      }
      console.log(`${workerId} revoked; to let the machine back in, delete its key file and enrol again`);
    });
}
