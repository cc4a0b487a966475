/**
 * The experiment's input, independent of how it is run: a list of jobs, each with the moment it
 * arrives (relative to the run's start). Load shapes and the trace loader produce a
 * {@link Workload}; the real-time submitter (HTTP against a running cluster) and the virtual-time
 * simulator (discrete events, no waiting) both consume it, so one workload can be replayed under
 * several strategies and in either mode with the same seed.
 */

/** One container of a workload job: what the scheduler needs plus what a real run needs. */
export interface WorkloadTask {
  /** Unique within its job. */
  readonly name: string;
  /** Whole cores; a positive integer. */
  readonly cores: number;
  /** Memory limit in bytes; an integer ≥ 0. */
  readonly memoryBytes: number;
  /**
   * How long the task runs once started, in seconds (already divided by any time-compression
   * factor). Simulated workers and the virtual-time simulator use it; a Docker worker runs
   * `command` instead (a generated job's command is `sleep <runSeconds>`).
   */
  readonly runSeconds: number;
  readonly image: string;
  /** argv; undefined runs the image's default command. */
  readonly command: readonly string[] | undefined;
  /** Optional node pin (node scheduling / `no-scheduler`). */
  readonly node?: string | undefined;
}

/** One job of a workload: tasks placed all together, arriving at `arrivalMs`. */
export interface WorkloadJob {
  /** Unique within the workload; a valid job name for the API. */
  readonly name: string;
  /** Milliseconds after the run's start at which the job is submitted; ascending in a workload. */
  readonly arrivalMs: number;
  readonly priority: number;
  readonly tasks: readonly WorkloadTask[];
}

/** A worker to simulate (virtual time, or simulated workers started for a real-time run). */
export interface FleetWorker {
  readonly id: string;
  readonly cores: number;
  readonly memoryBytes: number;
}

/** One file a workload was read from (a trace's node, pod or task list, or its column mapping). */
export interface TraceInput {
  readonly role: 'nodes' | 'pods' | 'tasks' | 'mapping';
  /** File name without its folder. */
  readonly file: string;
  /** Absolute path when read. */
  readonly path: string;
  readonly bytes: number;
  /** SHA-256 of the content, lower-case hex: the same digest means the same replayed input. */
  readonly sha256: string;
}

/** Where a workload came from, recorded in every result so a run can be repeated exactly. */
export interface WorkloadSource {
  /** `steady` | `bursty` | `incremental` | `random` | `trace` | … */
  readonly kind: string;
  /** The full, resolved parameters (defaults filled in), including the seed. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly seed: number;
  /** The files read (traces), by name and SHA-256; every RunResult carries them in its `source`. */
  readonly inputs?: readonly TraceInput[] | undefined;
}

/** A workload with its provenance and, for trace replay, the fleet it came with. */
export interface Workload {
  readonly source: WorkloadSource;
  /** Sorted by `arrivalMs`, then by name. */
  readonly jobs: readonly WorkloadJob[];
  /** The trace's own fleet (after down-sampling); absent for generated workloads. */
  readonly fleet?: readonly FleetWorker[] | undefined;
}
