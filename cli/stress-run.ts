/**
 * The body of `rswarm stress <shape>` and `rswarm compare <shape>`: build the workload, run it
 * against a running cluster, a local simulated fleet or in virtual time, write the report, print
 * the summary, and return 1 when a threshold is missed. cli/stress-commands.ts imports this
 * module inside the actions only: it loads the stress client, the charts and, for a local fleet,
 * the control plane.
 */
import path from 'node:path';
import { STRATEGY_NAMES } from '../core/scheduler/index.js';
import {
  autoProgress,
  createHttpStressApi,
  runRealTime,
  waitForDrain,
  type StressApi,
} from '../stress-client/real-time/index.js';
import { formatSeedAggregates } from '../stress-client/report/seed-aggregate.js';
import {
  checkThresholds,
  formatSummary,
  formatSummaryLine,
  summarise,
} from '../stress-client/report/summarise.js';
import { writeReport } from '../stress-client/report/write-report.js';
import type { RunResult } from '../stress-client/run-result.js';
import { simProgressBar } from '../stress-client/virtual-time/sim-progress-bar.js';
import { simulate } from '../stress-client/virtual-time/simulate.js';
import type { Workload } from '../stress-client/workload.js';
import { readToken, timestamp, type StressIo } from './stress-io.js';
import type { LocalFleet } from './stress-local-fleet.js';
import {
  buildWorkload,
  durationOption,
  numberOption,
  seedsOf,
  targetOf,
  thresholdsOf,
  type RawOptions,
  type StressShape,
  type StressTarget,
} from './stress-options.js';

/**
 * Runs one stress or compare command and returns its exit code.
 * @param strategies the strategies asked for (`[undefined]`: the cluster's current one), read
 *   after the workload and target so their errors come first
 * @param originalConfig the original stress client's JSON file, when given
 */
export async function runStress(
  shape: StressShape,
  o: RawOptions,
  strategies: () => (string | undefined)[],
  originalConfig: string | undefined,
  io: StressIo,
): Promise<number> {
  const seeds = seedsOf(o);
  const results: RunResult[] = [];
  // Every strategy on every seed: one workload (and, for a trace, one sampled fleet) per seed,
  // shared by the strategies, so per-seed differences compare like with like.
  for (const [k, seed] of seeds.entries()) {
    const workload = await buildWorkload(shape, o, originalConfig, seed);
    const target = targetOf(o, workload);
    if (seeds.length > 1) io.err(`[stress] seed ${seed} (${k + 1} of ${seeds.length})`);
    results.push(...(await runAll(shape, workload, strategies(), target, o, io, results.length)));
  }
  return finish(results, seeds, shape, o, io);
}

/** The strategies of `--strategy`/`--strategies`, each checked against the known names. */
export function strategiesOf(text: string | undefined): string[] {
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
 * virtual time) on `target`. `runsBefore` (runs of earlier seeds) keeps real-time job names unique.
 */
async function runAll(
  shape: StressShape,
  workload: Workload,
  strategies: readonly (string | undefined)[],
  target: StressTarget,
  o: RawOptions,
  io: StressIo,
  runsBefore: number,
): Promise<RunResult[]> {
  const config = runConfig(shape, o, target);
  const results: RunResult[] = [];
  if (target.kind === 'virtual') {
    const sampleEveryMs = durationOption(o, 'sampleEvery', '--sample-every');
    for (const s of strategies) {
      io.err(
        `[stress] virtual time: ${workload.jobs.length} jobs on ${target.fleet.length} workers, ${s ?? 'best-fit'}`,
      );
      const bar = simProgressBar(process.stderr, `[virtual ${s ?? 'best-fit'}]`);
      results.push(
        simulate(workload, target.fleet, s ?? 'best-fit', {
          config,
          onProgress: bar.onProgress,
          // A fixed virtual epoch: the same command writes the same files (wall time aside).
          nowEpochMs: 0,
          ...(sampleEveryMs !== undefined ? { sampleEveryMs } : {}),
        }),
      );
      bar.stop();
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
      // The control plane and ZeroMQ: loaded only for a local fleet.
      const { startLocalFleet } = await import('./stress-local-fleet.js');
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
          nameSuffix: `${runTag}${runsBefore + i}`,
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
  seeds: readonly number[],
  shape: StressShape,
  o: RawOptions,
  io: StressIo,
): Promise<number> {
  const thresholds = thresholdsOf(o);
  const out = typeof o['out'] === 'string' ? o['out'] : path.join('reports', `${timestamp()}-${shape}`);
  const report = await writeReport(results, out);
  let missed = 0;
  const summaries = results.map(summarise);
  for (const [i, summary] of summaries.entries()) {
    // With several seeds, one line per run and the aggregate table below keep the output short.
    io.out(seeds.length > 1 ? formatSummaryLine(summary) : formatSummary(summary));
    const label = seeds.length > 1 ? `${results[i]!.strategy}, seed ${summary.seed}` : results[i]!.strategy;
    for (const line of checkThresholds(summary, thresholds)) {
      io.err(`threshold missed (${label}): ${line}`);
      missed++;
    }
  }
  if (seeds.length > 1) io.out(formatSeedAggregates(summaries));
  io.out(`report: ${report.html} (${report.files.length} files in ${path.resolve(out)})`);
  return missed > 0 ? 1 : 0;
}
