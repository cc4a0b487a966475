/**
 * `rswarm stress <shape>` and `rswarm compare <shape>`: the commands and their flags. The run
 * itself (cli/stress-run.ts: workload, target, report, thresholds) is imported when a command
 * runs, so registering these commands loads neither the stress client nor the charts. Wiring
 * only: the pieces live in stress-client/.
 */
import type { Command } from 'commander';
import { isAppError } from '../core/errors/index.js';
import { registerHttpStressCommand } from './stress-http-command.js';
import { addStressOptions, STRESS_SHAPES, type RawOptions } from './stress-flags.js';
import { defaultIo, readToken, timestamp, type StressIo } from './stress-io.js';

export type { StressIo } from './stress-io.js';

async function guarded(io: StressIo, fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (err) {
    io.err(
      `rswarm stress: ${isAppError(err) ? err.message : err instanceof Error ? err.message : String(err)}`,
    );
    process.exitCode = 2;
  }
}

/**
 * Registers `stress <shape>` and `compare <shape>` on `program`. In these commands `--config`
 * names the original stress client's JSON file (commander hands it to the program's own
 * `--config`, so it is read from there when given after the shape).
 */
export function registerStressCommands(program: Command, io: StressIo = defaultIo): void {
  const originalConfig = (o: RawOptions): string | undefined =>
    typeof o['config'] === 'string' ? o['config'] : program.opts<{ config?: string }>().config;

  const stress = program
    .command('stress')
    .description('run a load shape or the openb trace and write a report');
  for (const shape of STRESS_SHAPES) {
    const cmd = stress
      .command(shape)
      .description(`${shape} load`)
      .option('--strategy <name>', 'switch to this strategy first');
    addStressOptions(cmd, shape).action(async (o: RawOptions) =>
      guarded(io, async () => {
        const { runStress, strategiesOf } = await import('./stress-run.js');
        const strategy = (): (string | undefined)[] => [
          typeof o['strategy'] === 'string' ? strategiesOf(o['strategy'])[0] : undefined,
        ];
        return runStress(shape, o, strategy, originalConfig(o), io);
      }),
    );
  }

  registerHttpStressCommand(stress, { ...io, readToken, timestamp });

  const compare = program
    .command('compare')
    .description('the same workload (same seed) under several strategies, one side-by-side report')
    .option('--strategies <list>', 'comma-separated strategies, e.g. best-fit,first-fit,worst-fit');
  for (const shape of STRESS_SHAPES) {
    const cmd = compare
      .command(shape)
      .description(`compare strategies on ${shape} load`)
      .option('--strategies <list>', 'comma-separated strategies');
    addStressOptions(cmd, shape).action(async (o: RawOptions) =>
      guarded(io, async () => {
        const { runStress, strategiesOf } = await import('./stress-run.js');
        const strategies = (): string[] =>
          strategiesOf(
            (o['strategies'] as string | undefined) ?? compare.opts<{ strategies?: string }>().strategies,
          );
        return runStress(shape, o, strategies, originalConfig(o), io);
      }),
    );
  }
}
