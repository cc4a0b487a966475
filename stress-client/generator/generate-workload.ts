/**
 * The job generator: arrival times in, a {@link Workload} out. Pure and seeded — the same seed,
 * arrivals and options give the same jobs, names included — and the resolved options and seed
 * are recorded in `workload.source` so a run can be repeated exactly.
 */
import { z } from 'zod';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { parseMemorySize } from '../../core/job/index.js';
import { parseInput } from '../load-shapes/parse-input.js';
import { seededRng, STREAMS } from '../load-shapes/seeded-rng.js';
import type { Workload, WorkloadJob, WorkloadTask } from '../workload.js';
import { drawChoice, numberChoiceSchema } from './choice-spec.js';

/** The test image every generated job uses unless told otherwise. */
export const DEFAULT_IMAGE = 'rswarm/busybox:latest';
/** The original's sleeper image: it slept `command` seconds; here it becomes `sleep <runSeconds>`. */
export const ORIGINAL_SLEEPER_IMAGE = 'aduermael/sleeper';

const memoryText = z.string().refine((s) => parseMemorySize(s) !== undefined, 'not a size such as "50m"');

/** Generator options; defaults are the original stress client's (4 tasks × 2 cores × 50m, 5 s). */
export const generatorOptionsSchema = z.strictObject({
  tasksPerJob: numberChoiceSchema(z.number().int().min(1).max(1000)).default(4),
  cores: numberChoiceSchema(z.number().int().min(1).max(4096)).default(2),
  memory: z.union([memoryText, z.array(memoryText).min(1)]).default('50m'),
  runSeconds: numberChoiceSchema(z.number().finite().nonnegative()).default(5),
  image: z.string().min(1).default(DEFAULT_IMAGE),
  /** argv; absent → `sleep <runSeconds>`. */
  command: z.array(z.string()).min(1).optional(),
  priority: z.number().int().min(-1000).max(1000).default(0),
});
/** Generator options as given (every field optional). */
export type GeneratorOptionsInput = z.input<typeof generatorOptionsSchema>;
/** Generator options resolved, defaults filled in (what `source.params.generator` records). */
export type GeneratorOptions = z.output<typeof generatorOptionsSchema>;

/** What {@link generateWorkload} needs. */
export interface GenerateInput {
  /** Shape kind recorded as `source.kind` (`steady`, `bursty`, …). */
  readonly kind: string;
  /** Shape and timing parameters, recorded verbatim in `source.params`. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly arrivalsMs: readonly number[];
  readonly seed: number;
  readonly generator?: GeneratorOptionsInput;
}

/**
 * A session id derived from the seed (the original used the start time in seconds): six base-36
 * characters, valid in an API name.
 */
export function sessionId(seed: number): string {
  return uniformInt(seededRng(seed, STREAMS.session), 0, 36 ** 6 - 1)
    .toString(36)
    .padStart(6, '0');
}

/** Validates generator options (defaults filled in). @throws AppError naming the field */
export function resolveGeneratorOptions(input: GeneratorOptionsInput = {}): GeneratorOptions {
  return parseInput(generatorOptionsSchema, input, 'job generator');
}

/**
 * Builds the workload: one job per arrival, named `job<arrivalMs>-<session>-<index>` (the
 * original's `job<ms>-<session>`, plus an index so jobs of one turn differ), tasks `task1…`.
 * @throws AppError `VALIDATION_FAILED` for bad generator options
 */
export function generateWorkload(input: GenerateInput): Workload {
  const o = resolveGeneratorOptions(input.generator);
  const image = o.image === ORIGINAL_SLEEPER_IMAGE ? DEFAULT_IMAGE : o.image;
  const rng = seededRng(input.seed, STREAMS.jobs);
  const session = sessionId(input.seed);
  const sorted = [...input.arrivalsMs].sort((a, b) => a - b);
  const jobs: WorkloadJob[] = sorted.map((arrivalMs, i) => {
    const taskCount = drawChoice(rng, o.tasksPerJob);
    const tasks: WorkloadTask[] = Array.from({ length: taskCount }, (_, k) => {
      const cores = drawChoice(rng, o.cores);
      const memory = drawChoice(rng, o.memory);
      const runSeconds = drawChoice(rng, o.runSeconds);
      return {
        name: `task${k + 1}`,
        cores,
        memoryBytes: parseMemorySize(memory) as number,
        runSeconds,
        image,
        command: o.command ?? ['sleep', String(runSeconds)],
      };
    });
    return {
      name: `job${arrivalMs}-${session}-${String(i).padStart(6, '0')}`,
      arrivalMs,
      priority: o.priority,
      tasks,
    };
  });
  return {
    source: {
      kind: input.kind,
      seed: input.seed,
      params: {
        ...input.params,
        generator: { ...o, image, ...(image !== o.image ? { requestedImage: o.image } : {}) },
        session,
        jobs: jobs.length,
      },
    },
    jobs,
  };
}
