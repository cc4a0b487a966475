/**
 * Trace-replay benchmark (not a test): `npm run bench:replay`.
 *
 * Replays the whole Alibaba openb trace (8,152 pods on 1,523 nodes, ~149 days) in virtual time,
 * once per strategy, through the same scheduling core as the JobManager, and prints one JSON line
 * per strategy:
 *   {"bench":"replay","pods":…,"nodes":…,"wall_s":…,"strategy":…,"p95_wait_s":…,"utilisation":…, …}
 * `wall_s` is the simulation alone (the trace is loaded once, `load_s`); the target is ≤ 30 s per
 * strategy on a 2-core machine (`within_target`).
 *
 * Then the deep-queue case: the same trace on 3 sampled nodes (seed 1: 3 × 96 cores; over 5,000
 * pods wait at the peak), one line per strategy:
 *   {"bench":"replay-deep","nodes":3,"wall_s":…,"strategy":…,"peak_queue_depth":…, …}
 * with a target of ≤ 10 s per strategy (a naive Python simulator took 60–75 s; planning the whole
 * queue at every event, 434–982 s).
 *
 * Environment: BENCH_STRATEGIES (comma-separated; default best-fit,first-fit,worst-fit,
 * best-fit-decreasing), BENCH_COMPRESSION (time ÷ factor, default 1), BENCH_NODE_SAMPLE (fraction
 * of nodes kept, default 1: the full fleet rarely queues, 0.004 makes it contend), BENCH_SEED
 * (default 1), BENCH_REPORT (a folder: also write the comparison report there), BENCH_DEEP_NODES
 * (nodes of the deep-queue case, a count above 1, default 3; 0 skips it), BENCH_DEEP_STRATEGIES
 * (default BENCH_STRATEGIES and priority).
 */
import { STRATEGY_NAMES } from '../core/scheduler/index.js';
import { summarise } from '../stress-client/report/summarise.js';
import { writeReport } from '../stress-client/report/write-report.js';
import type { RunResult } from '../stress-client/run-result.js';
import { loadOpenbTrace, OPENB_DEFAULT_DIR } from '../stress-client/trace/openb-trace.js';
import { simulate } from '../stress-client/virtual-time/simulate.js';

const TARGET_WALL_S = 30;
const DEEP_TARGET_WALL_S = 10;

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new RangeError(`${name} must be a number (got ${JSON.stringify(raw)})`);
  return n;
}

const strategies = (process.env.BENCH_STRATEGIES ?? 'best-fit,first-fit,worst-fit,best-fit-decreasing')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
for (const s of strategies) {
  if (!(STRATEGY_NAMES as readonly string[]).includes(s)) {
    throw new RangeError(`BENCH_STRATEGIES: unknown strategy ${s}; valid: ${STRATEGY_NAMES.join(', ')}`);
  }
}
const compression = numberEnv('BENCH_COMPRESSION', 1);
const nodeSample = numberEnv('BENCH_NODE_SAMPLE', 1);
const seed = numberEnv('BENCH_SEED', 1);

const t0 = performance.now();
const workload = await loadOpenbTrace({ dir: OPENB_DEFAULT_DIR, compression, nodeSample, seed });
const loadS = (performance.now() - t0) / 1000;
const fleet = workload.fleet ?? [];
const round = (x: number, digits: number): number => Number(x.toFixed(digits));

const results: RunResult[] = [];
for (const strategy of strategies) {
  const result = simulate(workload, fleet, strategy, {
    nowEpochMs: 0,
    config: { bench: 'replay', compression, nodeSample, seed },
  });
  results.push(result);
  const s = summarise(result);
  console.log(
    JSON.stringify({
      bench: 'replay',
      pods: workload.jobs.length,
      nodes: fleet.length,
      wall_s: round(result.wallSeconds, 2),
      strategy,
      p95_wait_s: s.times.waiting === null ? null : round(s.times.waiting.p95, 3),
      utilisation: round(s.utilisation, 4),
      p50_wait_s: s.times.waiting === null ? null : round(s.times.waiting.p50, 3),
      max_wait_s: s.times.waiting === null ? null : round(s.times.waiting.max, 3),
      finished: s.jobs.finished,
      failed: s.jobs.failed,
      peak_queue_depth: s.peakQueueDepth,
      workers_vs_bound: s.workersVsBound === null ? null : round(s.workersVsBound, 3),
      fragmentation: s.fragmentation === null ? null : round(s.fragmentation, 4),
      compression,
      node_sample: nodeSample,
      load_s: round(loadS, 2),
      within_target: result.wallSeconds <= TARGET_WALL_S,
    }),
  );
}

const reportDir = process.env.BENCH_REPORT;
if (reportDir !== undefined && reportDir !== '') {
  const { html } = await writeReport(results, reportDir);
  console.log(`report: ${html}`);
}

const deepNodes = numberEnv('BENCH_DEEP_NODES', 3);
if (deepNodes > 0) {
  const deepStrategies = (process.env.BENCH_DEEP_STRATEGIES ?? [...strategies, 'priority'].join(','))
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '' && (STRATEGY_NAMES as readonly string[]).includes(x));
  // A node sample above 1 is a count: exactly that many nodes, chosen with the seed.
  const deep = await loadOpenbTrace({ dir: OPENB_DEFAULT_DIR, compression, seed, nodeSample: deepNodes });
  const deepFleet = deep.fleet ?? [];
  for (const strategy of new Set(deepStrategies)) {
    const result = simulate(deep, deepFleet, strategy, {
      nowEpochMs: 0,
      config: { bench: 'replay-deep', compression, nodes: deepFleet.length, seed },
    });
    const s = summarise(result);
    console.log(
      JSON.stringify({
        bench: 'replay-deep',
        pods: deep.jobs.length,
        nodes: deepFleet.length,
        cores: deepFleet.reduce((n, w) => n + w.cores, 0),
        wall_s: round(result.wallSeconds, 2),
        strategy,
        peak_queue_depth: s.peakQueueDepth,
        p95_wait_s: s.times.waiting === null ? null : round(s.times.waiting.p95, 3),
        max_wait_s: s.times.waiting === null ? null : round(s.times.waiting.max, 3),
        finished: s.jobs.finished,
        failed: s.jobs.failed,
        utilisation: round(s.utilisation, 4),
        within_target: result.wallSeconds <= DEEP_TARGET_WALL_S,
      }),
    );
  }
}
