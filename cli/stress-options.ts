/**
 * The resolution of the stress commands' options (cli/stress-flags.ts) into a workload (shape →
 * arrivals → jobs, or the openb trace), a target (running cluster, local simulated fleet, or
 * virtual time) and thresholds. Every bad value is refused naming its flag.
 */
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
import { TIME_STATS, type Threshold } from '../stress-client/report/run-summary.js';
import type { FleetWorker, Workload } from '../stress-client/workload.js';
import {
  badFlag,
  durationOption,
  METRIC_ALIASES,
  numberOption,
  type RawOptions,
  type StressShape,
} from './stress-flags.js';
import { traceWorkload } from './stress-trace.js';

export {
  addStressOptions,
  durationOption,
  numberOption,
  STRESS_SHAPES,
  type RawOptions,
  type StressShape,
} from './stress-flags.js';

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
    throw badFlag('--seed', o['seed'], 'an integer within ±2^31');
  return seed;
}

/**
 * The seeds of `--seeds`: a count n gives n seeds from `--seed` (default 1) up, a list gives
 * itself; without `--seeds`, the one seed of `--seed`.
 * @throws AppError naming `--seeds` for anything else, a repeated seed, or more than 1,000
 */
export function seedsOf(o: RawOptions): number[] {
  const base = seedOf(o);
  const v = o['seeds'];
  if (v === undefined) return [base];
  const text = typeof v === 'string' ? v.trim() : '';
  const want = 'a count such as 5 or a list of integer seeds such as 7,8,9';
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > 1000) throw badFlag('--seeds', v, 'a count from 1 to 1000');
    if (base + n - 1 > 2 ** 31)
      throw badFlag('--seeds', v, `a count that keeps --seed ${base} + n within 2^31`);
    return Array.from({ length: n }, (_, i) => base + i);
  }
  const list = text.split(',').map((t) => t.trim());
  if (list.length < 2 || list.some((t) => !/^-?\d+$/.test(t) || Math.abs(Number(t)) > 2 ** 31)) {
    throw badFlag('--seeds', v, want);
  }
  const seeds = list.map(Number);
  if (new Set(seeds).size !== seeds.length) throw badFlag('--seeds', v, 'a list without repeated seeds');
  return seeds;
}

/**
 * The workload of a stress command: the original config file (if any) first, flags over it.
 * @param originalConfig path of the original JSON (`--config`)
 * @param seed the seed (default `--seed`; `--seeds` runs call it once per seed)
 */
export async function buildWorkload(
  shape: StressShape,
  o: RawOptions,
  originalConfig: string | undefined,
  seed: number = seedOf(o),
): Promise<Workload> {
  if (shape === 'trace') return traceWorkload(o, seed);
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
