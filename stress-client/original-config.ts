/**
 * The original stress clients' JSON config files, accepted unchanged: the shape files
 * (`SteadyStressClientInfo.json` `{"feed_constant": 1}`, Bursty `{"lambda": 0.5}`, Incremental
 * `{"coefficient": 1, "constant": 0}`, Random `{"lower_bound": 1, "upper_bound": 3}`) and the base
 * `StressClientInfo.json` (`image_name, task_count, task_cores, task_mem, time_interval,
 * run_count, subnet`). One file may also hold base keys and one shape's keys together.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../core/errors/index.js';
import type { LoadShapeInput, LoadShapeKind } from './load-shapes/load-shape.js';
import { parseInput } from './load-shapes/parse-input.js';

const count = z.number().int().nonnegative();

const originalConfigSchema = z
  .strictObject({
    feed_constant: z.number().finite().nonnegative().optional(),
    lambda: z.number().finite().positive().optional(),
    coefficient: z.number().finite().optional(),
    constant: z.number().finite().optional(),
    lower_bound: count.optional(),
    upper_bound: count.optional(),
    image_name: z.string().min(1).optional(),
    task_count: z.number().int().positive().optional(),
    task_cores: z.number().int().positive().optional(),
    // The original wrote `mem_limit = "<task_mem>m"`; a size string is accepted too.
    task_mem: z
      .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?\s*[bkmg]?b?$/i, 'a size such as "50m"')])
      .optional(),
    time_interval: z.number().finite().positive().optional(),
    run_count: z.number().int().positive().optional(),
    subnet: z.string().optional(),
  })
  .refine(
    (c) => c.lower_bound === undefined || c.upper_bound === undefined || c.lower_bound <= c.upper_bound,
    {
      message: 'must be ≥ lower_bound',
      path: ['upper_bound'],
    },
  );

const SHAPE_KEYS: Readonly<Record<LoadShapeKind, readonly string[]>> = {
  steady: ['feed_constant'],
  bursty: ['lambda'],
  incremental: ['coefficient', 'constant'],
  random: ['lower_bound', 'upper_bound'],
};

/** What an original config file contributes, in this tool's terms. */
export interface OriginalConfig {
  /** The shape its keys name, if any. */
  readonly shape: LoadShapeInput | undefined;
  readonly timing: { readonly intervalSeconds?: number; readonly turns?: number };
  readonly generator: {
    readonly image?: string;
    readonly tasksPerJob?: number;
    readonly cores?: number;
    readonly memory?: string;
  };
  /**
   * Recorded only: the original gave every job the same subnet, which makes concurrent job
   * networks collide on Docker, and a workload job carries no network.
   */
  readonly subnet: string | undefined;
}

/**
 * Reads an original config object. `expected` (the CLI's shape) must match the shape the keys
 * name.
 * @param label the file name, used in every error
 * @throws AppError `VALIDATION_FAILED` naming the field
 */
export function parseOriginalConfig(value: unknown, label: string, expected?: string): OriginalConfig {
  const c = parseInput(originalConfigSchema, value, label);
  const kinds = (Object.keys(SHAPE_KEYS) as LoadShapeKind[]).filter((k) =>
    SHAPE_KEYS[k].some((key) => c[key as keyof typeof c] !== undefined),
  );
  if (kinds.length > 1) {
    const keys = kinds.flatMap((k) => SHAPE_KEYS[k].filter((key) => c[key as keyof typeof c] !== undefined));
    throw new AppError(
      'VALIDATION_FAILED',
      `${label}: keys ${keys.join(', ')} belong to ${kinds.length} different shapes (${kinds.join(', ')}); give one`,
    );
  }
  const kind = kinds[0];
  if (kind && expected && expected !== kind) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${label}: ${SHAPE_KEYS[kind].join('/')} configures the ${kind} shape, not ${expected}`,
    );
  }
  let shape: LoadShapeInput | undefined;
  if (kind === 'steady')
    shape = { kind, ...(c.feed_constant !== undefined ? { jobsPerTurn: c.feed_constant } : {}) };
  if (kind === 'bursty') shape = { kind, ...(c.lambda !== undefined ? { lambda: c.lambda } : {}) };
  if (kind === 'incremental')
    shape = {
      kind,
      ...(c.coefficient !== undefined ? { coefficient: c.coefficient } : {}),
      ...(c.constant !== undefined ? { constant: c.constant } : {}),
    };
  if (kind === 'random')
    shape = {
      kind,
      ...(c.lower_bound !== undefined ? { lower: c.lower_bound } : {}),
      ...(c.upper_bound !== undefined ? { upper: c.upper_bound } : {}),
    };
  const memory =
    c.task_mem === undefined ? undefined : typeof c.task_mem === 'number' ? `${c.task_mem}m` : c.task_mem;
  return {
    shape,
    timing: {
      ...(c.time_interval !== undefined ? { intervalSeconds: c.time_interval } : {}),
      ...(c.run_count !== undefined ? { turns: c.run_count } : {}),
    },
    generator: {
      ...(c.image_name !== undefined ? { image: c.image_name } : {}),
      ...(c.task_count !== undefined ? { tasksPerJob: c.task_count } : {}),
      ...(c.task_cores !== undefined ? { cores: c.task_cores } : {}),
      ...(memory !== undefined ? { memory } : {}),
    },
    subnet: c.subnet,
  };
}

/**
 * Reads and parses an original config file (JSON).
 * @throws AppError `VALIDATION_FAILED` for unreadable JSON or a bad field
 */
export function readOriginalConfig(file: string, expected?: string): OriginalConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AppError('VALIDATION_FAILED', `${file}: not a readable JSON file (${(err as Error).message})`);
  }
  return parseOriginalConfig(value, file, expected);
}
