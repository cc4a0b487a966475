/**
 * The options of `rswarm stress <shape>` and `rswarm compare <shape>`, and their resolution into
 * a workload (shape → arrivals → jobs, or the openb trace), a target (running cluster, local
 * simulated fleet, or virtual time) and thresholds. Every bad value is refused naming its flag.
 */
import type { Command } from 'commander';
import { parseDurationMs } from '../core/config/index.js';
import { AppError } from '../core/errors/index.js';
import {
  arrivalTimes,
  resolveShape,
  resolveTiming,
  type LoadShapeInput,
  type LoadShapeKind,
} from '../stress-client/load-shapes/index.js';
import {
  generateWorkload,
  parseChoiceText,
  parseFleetSpec,
  type GeneratorOptionsInput,
} from '../stress-client/generator/index.js';
import { readOriginalConfig } from '../stress-client/original-config.js';
import { TIME_STATS, type Threshold, type TimeMetric } from '../stress-client/report/run-summary.js';
import { loadOpenbTrace, OPENB_DEFAULT_DIR } from '../stress-client/trace/openb-trace.js';
import type { FleetWorker, Workload } from '../stress-client/workload.js';

/** Shapes a stress command accepts: the four load shapes and trace replay. */
export const STRESS_SHAPES = ['steady', 'bursty', 'incremental', 'random', 'trace'] as const;
/** One of {@link STRESS_SHAPES}. */
export type StressShape = (typeof STRESS_SHAPES)[number];

/** Threshold flag names: `--max-<stat>-<alias>`. */
const METRIC_ALIASES: Readonly<Record<string, TimeMetric>> = {
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
    ['--compression <factor>', 'time ÷ factor for arrivals and run times (default 1)'],
    ['--node-sample <fraction>', 'keep this share of the nodes (default 1)'],
    ['--pod-sample <fraction>', 'keep this share of the pods (default 1)'],
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

function bad(flag: string, text: unknown, want: string): AppError {
  return new AppError('VALIDATION_FAILED', `${flag}: "${String(text)}" is not ${want}`);
}

/** A number option, or undefined when absent. @throws AppError naming `flag` */
export function numberOption(o: RawOptions, key: string, flag: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw bad(flag, v, 'a number');
  return n;
}

/** A duration option in ms (`10s`, `1m`, `250ms`), or undefined. @throws AppError naming `flag` */
export function durationOption(o: RawOptions, key: string, flag: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
  if (ms === undefined) throw bad(flag, v, 'a duration such as 10s, 1.5m or 250ms');
  return ms;
}

/** The thresholds given (`--max-p95-wait 10s` → waiting p95 ≤ 10 s). */
export function thresholdsOf(o: RawOptions): Threshold[] {
  const out: Threshold[] = [];
  for (const stat of TIME_STATS) {
    for (const [alias, metric] of Object.entries(METRIC_ALIASES)) {
      const key = `max${stat[0]!.toUpperCase()}${stat.slice(1)}${alias[0]!.toUpperCase()}${alias.slice(1)}`;
      const ms = durationOption(o, key, `--max-${stat}-${alias}`);
      if (ms !== undefined) out.push({ metric, stat, maxSeconds: ms / 1000 });
    }
  }
  return out;
}

function shapeInput(
  kind: LoadShapeKind,
  o: RawOptions,
  fromFile: LoadShapeInput | undefined,
): LoadShapeInput {
  const base: Record<string, unknown> = { ...(fromFile ?? { kind }) };
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) base[key] = value;
  };
  if (kind === 'steady') set('jobsPerTurn', numberOption(o, 'jobsPerTurn', '--jobs-per-turn'));
  if (kind === 'bursty') {
    set('lambda', numberOption(o, 'lambda', '--lambda'));
    set('poisson', o['poisson'] === true ? true : undefined);
    set('ratePerSecond', numberOption(o, 'rate', '--rate'));
  }
  if (kind === 'incremental') {
    set('coefficient', numberOption(o, 'coefficient', '--coefficient'));
    set('constant', numberOption(o, 'constant', '--constant'));
  }
  if (kind === 'random') {
    set('lower', numberOption(o, 'lower', '--lower'));
    set('upper', numberOption(o, 'upper', '--upper'));
  }
  return base as LoadShapeInput;
}

function generatorInput(o: RawOptions, fromFile: GeneratorOptionsInput): GeneratorOptionsInput {
  const g: Record<string, unknown> = { ...fromFile };
  const choice = (key: string, flag: string, target: string, asText = false): void => {
    const v = o[key];
    if (typeof v === 'string') g[target] = parseChoiceText(v, flag, asText);
  };
  choice('tasks', '--tasks', 'tasksPerJob');
  choice('cores', '--cores', 'cores');
  choice('memory', '--memory', 'memory', true);
  choice('runSeconds', '--run-seconds', 'runSeconds');
  if (typeof o['image'] === 'string') g['image'] = o['image'];
  const command = o['command'] as unknown;
  if (Array.isArray(command)) g['command'] = command as string[];
  const priority = numberOption(o, 'priority', '--priority');
  if (priority !== undefined) g['priority'] = priority;
  return g;
}

/** The seed (default 1), a 32-bit integer. */
export function seedOf(o: RawOptions): number {
  const seed = numberOption(o, 'seed', '--seed') ?? 1;
  if (!Number.isInteger(seed) || Math.abs(seed) > 2 ** 31)
    throw bad('--seed', o['seed'], 'an integer within ±2^31');
  return seed;
}

/**
 * The workload of a stress command: the original config file (if any) first, flags over it.
 * @param originalConfig path of the original JSON (`--config`)
 */
export async function buildWorkload(
  shape: StressShape,
  o: RawOptions,
  originalConfig: string | undefined,
): Promise<Workload> {
  const seed = seedOf(o);
  if (shape === 'trace') {
    const limit = numberOption(o, 'limitPods', '--limit-pods');
    const nodeSample = numberOption(o, 'nodeSample', '--node-sample');
    const podSample = numberOption(o, 'podSample', '--pod-sample');
    return loadOpenbTrace({
      dir: typeof o['traceDir'] === 'string' ? o['traceDir'] : OPENB_DEFAULT_DIR,
      compression: numberOption(o, 'compression', '--compression') ?? 1,
      seed,
      ...(nodeSample !== undefined ? { nodeSample } : {}),
      ...(podSample !== undefined ? { podSample } : {}),
      ...(limit !== undefined ? { limitPods: limit } : {}),
    });
  }
  const file = originalConfig ? readOriginalConfig(originalConfig, shape) : undefined;
  const resolvedShape = resolveShape(shapeInput(shape, o, file?.shape));
  const turns = numberOption(o, 'turns', '--turns');
  const interval = numberOption(o, 'interval', '--interval');
  const duration = durationOption(o, 'duration', '--duration');
  const timing = resolveTiming({
    ...(file?.timing ?? {}),
    ...(turns !== undefined ? { turns } : {}),
    ...(interval !== undefined ? { intervalSeconds: interval } : {}),
    ...(duration !== undefined ? { durationSeconds: duration / 1000, turns: undefined } : {}),
  });
  const arrivals = arrivalTimes(resolvedShape, timing, seed);
  return generateWorkload({
    kind: shape,
    params: {
      shape: resolvedShape,
      timing,
      perTurn: arrivals.perTurn,
      ...(originalConfig ? { originalConfig } : {}),
      ...(file?.subnet ? { subnet: file.subnet } : {}),
    },
    arrivalsMs: arrivals.arrivalsMs,
    seed,
    generator: generatorInput(o, file?.generator ?? {}),
  });
}

/** Where a run goes. */
export type StressTarget =
  | { readonly kind: 'virtual'; readonly fleet: readonly FleetWorker[] }
  | { readonly kind: 'local'; readonly fleet: readonly FleetWorker[] }
  | {
      readonly kind: 'url';
      readonly url: string;
      readonly token: string | undefined;
      readonly tokenFile: string | undefined;
    };

/**
 * The target: `--virtual`, `--local-fleet` or `--url` (default the local all-in-one).
 * @throws AppError when more than one is given or a fleet is missing
 */
export function targetOf(o: RawOptions, workload: Workload): StressTarget {
  const given = [o['virtual'] === true, o['localFleet'] !== undefined, o['url'] !== undefined].filter(
    Boolean,
  ).length;
  if (given > 1)
    throw new AppError('VALIDATION_FAILED', 'give one target: --url, --virtual or --local-fleet');
  const fleetFrom = (spec: string | boolean | undefined, flag: string): FleetWorker[] => {
    if (spec === 'trace' || typeof spec !== 'string') {
      if (workload.fleet && workload.fleet.length > 0) return [...workload.fleet];
      throw new AppError(
        'VALIDATION_FAILED',
        `${flag}: give <count>x<cores>x<memory>, e.g. 50x32x128g (only a trace brings its own fleet)`,
      );
    }
    return parseFleetSpec(spec, flag);
  };
  if (o['virtual'] === true) return { kind: 'virtual', fleet: fleetFrom(o['fleet'], '--fleet') };
  if (o['localFleet'] !== undefined)
    return { kind: 'local', fleet: fleetFrom(o['localFleet'], '--local-fleet') };
  return {
    kind: 'url',
    url: typeof o['url'] === 'string' ? o['url'] : 'http://127.0.0.1:5001',
    token: typeof o['token'] === 'string' ? o['token'] : undefined,
    tokenFile: typeof o['tokenFile'] === 'string' ? o['tokenFile'] : undefined,
  };
}
