/**
 * The flags of `rswarm stress <shape>` and `rswarm compare <shape>` and the readers of single
 * values. Light on purpose (no workload generator, no schema library): every start registers
 * these flags, `rswarm --help` included; cli/stress-options.ts resolves them into a run.
 */
import type { Command } from 'commander';
import { parseDurationMs } from '../core/config/parse-duration.js';
import { AppError } from '../core/errors/index.js';
import { TIME_STATS, type TimeMetric } from '../stress-client/report/run-summary.js';
import { OPENB_DEFAULT_DIR } from '../stress-client/trace/openb-default-dir.js';

/** Shapes a stress command accepts: the four load shapes and trace replay. */
export const STRESS_SHAPES = ['steady', 'bursty', 'incremental', 'random', 'trace'] as const;
/** One of {@link STRESS_SHAPES}. */
export type StressShape = (typeof STRESS_SHAPES)[number];

/** Threshold flag names: `--max-<stat>-<alias>`. */
export const METRIC_ALIASES: Readonly<Record<string, TimeMetric>> = {
  wait: 'waiting',
  exec: 'execution',
  total: 'total',
};

/** Raw option values as commander gives them (strings unless a flag). */
export type RawOptions = Record<string, string | boolean | undefined>;

const SHAPE_OPTIONS: Readonly<Record<StressShape, readonly [string, string][]>> = {
  steady: [['--jobs-per-turn <a>', 'F(t) = a jobs per turn (original feed_constant; default 1)']],
  bursty: [
    ['--lambda <λ>', 'ceil(Exp(λ)) jobs per turn (original lambda; default 0.5)'],
    ['--poisson', 'a true Poisson process instead (exponential gaps)'],
    ['--rate <jobs/s>', 'Poisson rate (default 1 / (λ × interval))'],
  ],
  incremental: [
    ['--coefficient <a>', 'F(t) = a·t + b: a (default 1)'],
    ['--constant <b>', 'F(t) = a·t + b: b (default 0)'],
  ],
  random: [
    ['--lower <n>', 'fewest jobs per turn, inclusive (original lower_bound; default 1)'],
    ['--upper <n>', 'most jobs per turn, inclusive (original upper_bound; default 3)'],
  ],
  trace: [
    ['--trace-dir <dir>', `openb trace folder (default ${OPENB_DEFAULT_DIR})`],
    ['--trace-file <file>', 'the pod or task file (openb: instead of <dir>/openb_pod_list_default.csv)'],
    ['--node-file <file>', 'the node file (openb: instead of <dir>/openb_node_list_all_node.csv)'],
    [
      '--trace-format <preset>',
      'openb (default) or google-task-events (2011 task_events; --node-file: machine_events)',
    ],
    ['--trace-mapping <file>', 'a YAML/JSON column mapping instead of a preset (docs/design/experiments.md)'],
    ['--cpu-scale <cores>', 'cores per unit of the CPU column (google-task-events: 32 per normalised 1.0)'],
    ['--memory-scale <size>', 'bytes per unit of the memory column, e.g. 64g (google-task-events: 64g)'],
    [
      '--open-ended <policy>',
      'tasks that never end: until-end (default, the last time in the trace), drop or a duration',
    ],
    ['--tiny-nodes <policy>', 'nodes under one core: drop (default) or round-up'],
    ['--compression <factor>', 'time ÷ factor for arrivals and run times (default 1)'],
    ['--node-sample <fraction|n>', 'keep this share of the nodes, or n nodes when above 1 (default 1)'],
    ['--pod-sample <fraction|n>', 'keep this share of the pods (jobs), or n when above 1 (default 1)'],
    ['--limit-pods <n>', 'only the first n pods by arrival'],
  ],
};

/** Adds the options shared by every shape, the shape's own, the target and the thresholds. */
export function addStressOptions(cmd: Command, shape: StressShape): Command {
  for (const [flags, help] of SHAPE_OPTIONS[shape]) cmd.option(flags, help);
  if (shape !== 'trace') {
    cmd
      .option(
        '--config <file>',
        "the original stress client's JSON config (shape keys and/or StressClientInfo.json keys)",
      )
      .option('--turns <n>', 'number of turns (original run_count; default 10)')
      .option('--interval <seconds>', 'seconds between turns (original time_interval; default 1)')
      .option(
        '--duration <duration>',
        'run length instead of --turns, e.g. 30s (turns = ceil(duration ÷ interval))',
      )
      .option('--tasks <n>', 'tasks per job: 4, 1,2,4 or 1-8 (original task_count; default 4)')
      .option('--cores <n>', 'cores per task: 2, 1,2,4 or 1-8 (original task_cores; default 2)')
      .option('--memory <size>', 'memory per task: 50m or a list 50m,1g (original task_mem; default 50m)')
      .option('--run-seconds <s>', 'task run time: 5, a list or a range (default 5; command sleep <s>)')
      .option('--image <image>', 'task image (default rswarm/busybox:latest)')
      .option('--command <argv...>', 'task command instead of sleep <run-seconds>')
      .option('--priority <n>', 'job priority (default 0)');
  }
  cmd
    .option('--seed <n>', 'random seed: same seed, same workload (default 1)')
    .option(
      '--seeds <n|list>',
      'run every strategy on several seeds: a count n (--seed … --seed+n−1) or a list 7,8,9; the report adds means, 95 % intervals and paired comparisons',
    )
    .option('--url <api>', 'a running cluster (default http://127.0.0.1:5001)')
    .option('--token <token>', 'bearer token (default: RSWARM_TOKEN, else --token-file)')
    .option('--token-file <file>', 'file holding the bearer token (default .rswarm/token)')
    .option('--virtual', 'virtual time: simulate, no waiting')
    .option(
      '--fleet <spec>',
      'virtual-time fleet <count>x<cores>x<memory>, e.g. 50x32x128g (a trace brings its own)',
    )
    .option(
      '--local-fleet <spec>',
      "in-process control plane with simulated workers <count>x<cores>x<memory> ('trace': the trace's fleet)",
    )
    .option('--concurrency <n>', 'submissions in flight at most (default 32)')
    .option('--timeout <duration>', 'stop collecting this long after the last submission (default 10m)')
    .option(
      '--sample-every <duration>',
      'worker/queue sampling period (default 500ms real time, every event virtual)',
    )
    .option('--out <dir>', 'report folder (default reports/<timestamp>-<shape>)')
    .option('--verbose', 'control-plane logs of --local-fleet on stderr');
  for (const stat of TIME_STATS) {
    for (const alias of Object.keys(METRIC_ALIASES)) {
      cmd.option(
        `--max-${stat}-${alias} <duration>`,
        `fail (exit 1) when the ${stat} ${METRIC_ALIASES[alias]} time exceeds it`,
      );
    }
  }
  return cmd;
}

/** The error for a flag whose value is not what it should be. */
export function badFlag(flag: string, text: unknown, want: string): AppError {
  return new AppError('VALIDATION_FAILED', `${flag}: "${String(text)}" is not ${want}`);
}

/** A number option, or undefined when absent. @throws AppError naming `flag` */
export function numberOption(o: RawOptions, key: string, flag: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw badFlag(flag, v, 'a number');
  return n;
}

/** A duration option in ms (`10s`, `1m`, `250ms`), or undefined. @throws AppError naming `flag` */
export function durationOption(o: RawOptions, key: string, flag: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
  if (ms === undefined) throw badFlag(flag, v, 'a duration such as 10s, 1.5m or 250ms');
  return ms;
}
