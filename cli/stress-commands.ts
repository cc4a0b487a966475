/**
 * `rswarm stress <shape>` and `rswarm compare <shape>`: build the workload, run it against a
 * running cluster, a local simulated fleet or in virtual time, write the report, print the
 * summary, and exit 1 when a threshold is missed. Wiring only: the pieces live in stress-client/.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isAppError } from '../core/errors/index.js';
import { STRATEGY_NAMES } from '../core/scheduler/index.js';
import {
  autoProgress,
  createHttpStressApi,
  runRealTime,
  waitForDrain,
  type StressApi,
} from '../stress-client/real-time/index.js';
import { checkThresholds, formatSummary, summarise } from '../stress-client/report/summarise.js';
import { writeReport } from '../stress-client/report/write-report.js';
import type { RunResult } from '../stress-client/run-result.js';
import { simulate } from '../stress-client/virtual-time/simulate.js';
import type { Workload } from '../stress-client/workload.js';
import { registerHttpStressCommand } from './stress-http-command.js';
import { startLocalFleet, type LocalFleet } from './stress-local-fleet.js';
import {
  addStressOptions,
  buildWorkload,
  durationOption,
  numberOption,
  STRESS_SHAPES,
  targetOf,
  thresholdsOf,
  type RawOptions,
  type StressShape,
  type StressTarget,
} from './stress-options.js';

/** Where the stress commands write (stdout for the summary, stderr for progress and errors). */
export interface StressIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const defaultIo: StressIo = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

function timestamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** `--token`, else RSWARM_TOKEN, else the token file (`--token-file`, default `.rswarm/token`). */
function readToken(explicit: string | undefined, tokenFile: string | undefined): string {
  if (explicit) return explicit;
  const fromEnv = process.env['RSWARM_TOKEN'];
  if (fromEnv) return fromEnv;
  const file = path.resolve(tokenFile ?? path.join('.rswarm', 'token'));
  if (!existsSync(file))
    throw new Error(
      `no --token or RSWARM_TOKEN given and ${file} does not exist (start a cluster with rswarm all-in-one)`,
    );
  return readFileSync(file, 'utf8').trim();
}

function strategiesOf(text: string | undefined): string[] {
  const list = (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0)
    throw new Error('--strategies: give a comma-separated list, e.g. best-fit,first-fit');
  const unknown = list.filter((s) => !(STRATEGY_NAMES as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new Error(`--strategies: ${unknown.join(', ')} not one of ${STRATEGY_NAMES.join(', ')}`);
  return list;
}

/** The resolved options recorded in every result. */
function runConfig(shape: StressShape, o: RawOptions, target: StressTarget): Record<string, unknown> {
  const options = Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'token'));
  return {
    shape,
    target:
      target.kind === 'url'
        ? { kind: 'url', url: target.url }
        : { kind: target.kind, workers: target.fleet.length },
    options,
  };
}

/**
 * Runs `workload` once per strategy (`undefined`: the cluster's current one, or best-fit in
 * virtual time) on `target`.
 */
async function runAll(
  shape: StressShape,
  workload: Workload,
  strategies: readonly (string | undefined)[],
  target: StressTarget,
  o: RawOptions,
  io: StressIo,
): Promise<RunResult[]> {
  const config = runConfig(shape, o, target);
  const results: RunResult[] = [];
  if (target.kind === 'virtual') {
    const sampleEveryMs = durationOption(o, 'sampleEvery', '--sample-every');
    for (const s of strategies) {
      io.err(
        `[stress] virtual time: ${workload.jobs.length} jobs on ${target.fleet.length} workers, ${s ?? 'best-fit'}`,
      );
      results.push(
        simulate(workload, target.fleet, s ?? 'best-fit', {
          config,
          ...(sampleEveryMs !== undefined ? { sampleEveryMs } : {}),
        }),
      );
    }
    return results;
  }
  let local: LocalFleet | undefined;
  let api: StressApi | undefined;
  const concurrency = numberOption(o, 'concurrency', '--concurrency') ?? 32;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`--concurrency: ${concurrency} is not a whole number ≥ 1`);
  try {
    if (target.kind === 'local') {
      io.err(`[stress] starting a local control plane with ${target.fleet.length} simulated workers…`);
      local = await startLocalFleet(target.fleet, { logLevel: o['verbose'] === true ? 'info' : 'silent' });
      io.err(`[stress] ${target.fleet.length} simulated workers joined in ${local.joinSeconds.toFixed(1)} s`);
      api = createHttpStressApi(local.url, local.token, concurrency);
    } else {
      api = createHttpStressApi(target.url, readToken(target.token, target.tokenFile), concurrency);
    }
    const sampleEveryMs = durationOption(o, 'sampleEvery', '--sample-every');
    const timeoutMs = durationOption(o, 'timeout', '--timeout');
    const runTag = Date.now().toString(36).slice(-5);
    for (const [i, s] of strategies.entries()) {
      if (i > 0) {
        io.err('[stress] waiting for the cluster to drain…');
        await waitForDrain(api);
      }
      const label = s ? `[stress ${s}]` : '[stress]';
      results.push(
        await runRealTime(workload, {
          api,
          concurrency,
          strategy: s,
          nameSuffix: `${runTag}${i}`,
          progress: autoProgress(process.stderr, label),
          config,
          ...(sampleEveryMs !== undefined ? { sampleEveryMs } : {}),
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        }),
      );
    }
    return results;
  } finally {
    api?.close();
    await local?.close();
  }
}

/** Report, summaries, thresholds; returns the exit code. */
async function finish(
  results: readonly RunResult[],
  shape: StressShape,
  o: RawOptions,
  io: StressIo,
): Promise<number> {
  const thresholds = thresholdsOf(o);
  const out = typeof o['out'] === 'string' ? o['out'] : path.join('reports', `${timestamp()}-${shape}`);
  const report = await writeReport(results, out);
  let missed = 0;
  for (const r of results) {
    const summary = summarise(r);
    io.out(formatSummary(summary));
    for (const line of checkThresholds(summary, thresholds)) {
      io.err(`threshold missed (${r.strategy}): ${line}`);
      missed++;
    }
  }
  io.out(`report: ${report.html} (${report.files.length} files in ${path.resolve(out)})`);
  return missed > 0 ? 1 : 0;
}

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
        const workload = await buildWorkload(shape, o, originalConfig(o));
        const target = targetOf(o, workload);
        const strategy = typeof o['strategy'] === 'string' ? strategiesOf(o['strategy'])[0] : undefined;
        return finish(await runAll(shape, workload, [strategy], target, o, io), shape, o, io);
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
        const strategies = strategiesOf(
          (o['strategies'] as string | undefined) ?? compare.opts<{ strategies?: string }>().strategies,
        );
        const workload = await buildWorkload(shape, o, originalConfig(o));
        const target = targetOf(o, workload);
        return finish(await runAll(shape, workload, strategies, target, o, io), shape, o, io);
      }),
    );
  }
}
