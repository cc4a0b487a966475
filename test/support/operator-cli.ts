/**
 * Runs the operator CLI's commands in this process (a fresh commander program each time) with
 * captured output, a given environment and working directory, and the exit code they chose.
 */
import { Command } from 'commander';
import { registerOperatorCommands } from '../../cli/operator/operator-commands.js';
import type { OperatorIo } from '../../cli/operator/operator-io.js';

/** What one run printed and how it ended. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs `rswarm <argv…>` (operator commands only) in process. */
export async function runCli(
  argv: readonly string[],
  o: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io: OperatorIo = {
    out: (l) => void (stdout += l + '\n'),
    write: (t) => void (stdout += t),
    err: (l) => void (stderr += l + '\n'),
    env: o.env ?? {},
    cwd: o.cwd ?? process.cwd(),
    readStdin: () => o.stdin ?? '',
    setExitCode: (c) => {
      code = c;
    },
    exit: (c) => {
      throw new Exit(c);
    },
  };
  const program = new Command('rswarm');
  program.exitOverride((e) => {
    throw new Exit(e.exitCode === 0 ? 0 : 2);
  });
  program.configureOutput({ writeOut: (s) => io.write(s), writeErr: (s) => io.err(s) });
  registerOperatorCommands(program, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof Exit)) throw err;
    code = err.code;
  }
  return { code, stdout, stderr };
}
