import { z } from 'zod';

/**
 * How much of its ended tasks' output a worker keeps after their containers are removed
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
  /**
   * A directory where the kept output is also written (one file per task), so a restarted worker
   * still answers for tasks that ended before; '' keeps it in memory only. The all-in-one's local
   * workers use `<backends.stateDir>/kept-logs/<worker id>` when this is '' and the control state
   * is kept in files. @defaultValue ""
   */
  keptLogDir: z.string().max(4096).default(''),
};

/** The three limits, validated. */
export interface KeptLogLimits {
  readonly keptLogLines: number;
  readonly keptLogTasks: number;
  readonly keptLogBytes: number;
}
