/**
 * The experiment's output, one format for both modes (real time against a cluster, virtual time
 * in the simulator). Raw samples only: summaries, CSV/JSON files, charts and the HTML report are
 * all computed from a {@link RunResult}. Times are milliseconds relative to the run's start
 * (`null` until they happen), so real-time and virtual-time runs line up.
 */
import type { FleetWorker, WorkloadSource } from './workload.js';

/** How a run was executed. */
export type RunMode = 'real-time' | 'virtual-time';

/** One job's life as measured. waiting = started − submitted; execution = finished − started. */
export interface JobSample {
  readonly name: string;
  readonly tasks: number;
  /** Sum over the job's tasks. */
  readonly cores: number;
  readonly memoryBytes: number;
  /** `finished` | `failed` | `cancelled` | `waiting` (never placed before the run ended) | … */
  readonly state: string;
  readonly submittedMs: number;
  readonly scheduledMs: number | null;
  readonly startedMs: number | null;
  readonly finishedMs: number | null;
  /** The last reason the scheduler gave for not placing it, if any. */
  readonly unplacedReason: string | null;
}

/** A worker's use at one moment (a step function: valid until its next sample). */
export interface WorkerSample {
  readonly workerId: string;
  readonly atMs: number;
  readonly usedCores: number;
  readonly usedMemoryBytes: number;
}

/** The cluster at one moment. */
export interface ClusterSample {
  readonly atMs: number;
  /** Jobs submitted and not yet placed. */
  readonly queueDepth: number;
  /** Tasks placed since the previous sample. */
  readonly placements: number;
  readonly usedCores: number;
  readonly totalCores: number;
  readonly usedMemoryBytes: number;
  readonly totalMemoryBytes: number;
}

/** Everything one run produced. */
export interface RunResult {
  readonly mode: RunMode;
  readonly strategy: string;
  readonly source: WorkloadSource;
  /** The run's full configuration (CLI options resolved, defaults filled in). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Wall-clock start, ms since the epoch (for the record only). */
  readonly startedAtEpochMs: number;
  /** Run length in run-relative ms (last event, or when collection stopped). */
  readonly durationMs: number;
  /** Wall-clock seconds the run took (virtual time: how long the simulation computed). */
  readonly wallSeconds: number;
  readonly fleet: readonly FleetWorker[];
  readonly jobs: readonly JobSample[];
  readonly workers: readonly WorkerSample[];
  readonly cluster: readonly ClusterSample[];
}
