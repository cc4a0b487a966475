import { z } from 'zod';

/**
 * How much of its ended tasks' output a worker keeps in memory after their containers are removed
 * (docs/design/operations.md, "Task logs"): the fields of the `worker` configuration section that
 * the worker agent's options take as they are. Defaults live here and only here; both schemas
 * spread this shape.
 */
export const keptLogsShape = {
  /** Lines kept per ended task (its last ones). @defaultValue 1000 */
  keptLogLines: z.number().int().min(0).max(100_000).default(1000),
  /** Ended tasks whose logs are kept; the oldest ended is dropped first. @defaultValue 200 */
  keptLogTasks: z.number().int().min(0).max(100_000).default(200),
  /** Bytes of kept log lines (text and timestamps) over all kept tasks. @defaultValue 32 MiB */
  keptLogBytes: z
    .number()
    .int()
    .min(0)
    .max(4 * 1024 ** 3)
    .default(32 * 1024 ** 2),
};

/** The three limits, validated. */
export interface KeptLogLimits {
  readonly keptLogLines: number;
  readonly keptLogTasks: number;
  readonly keptLogBytes: number;
}
