/**
 * The internal, normalised job model. Both accepted input formats (the original RESTfulSwarm
 * document and the native one) become this; nothing downstream reads the raw documents.
 */

/** Which input format a job arrived in; kept so original clients get original statuses back. */
export type JobFormat = 'original' | 'native';

/** A host port published for a container port. */
export interface PortBinding {
  /** e.g. "80/tcp" */
  readonly containerPort: string;
  readonly hostIp: string;
  readonly hostPort: number;
}

/** A bind mount from an allowed host path into the container. */
export interface VolumeMount {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
}

/** A client's request to run a task on a named worker, optionally on exact cores. */
export interface TaskPin {
  readonly workerId: string;
  /** Exact core ids; undefined lets the scheduler choose cores on that worker. */
  readonly coreIds: readonly number[] | undefined;
}

/** One container of a job, normalised: whole cores, memory in bytes, explicit defaults. */
export interface TaskSpec {
  readonly name: string;
  readonly image: string;
  /** argv; undefined runs the image's default command. */
  readonly command: readonly string[] | undefined;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly pin: TaskPin | undefined;
  readonly ports: readonly PortBinding[];
  readonly volumes: readonly VolumeMount[];
  readonly env: Readonly<Record<string, string>>;
  /** Simulated run time, for simulated workers; undefined means "until the command exits". */
  readonly runSeconds: number | undefined;
  /** The original's unused `deadline`, kept for researchers. */
  readonly deadline: number | undefined;
}

/** What happens when a task fails or its worker is lost. */
export interface RestartPolicy {
  readonly mode: 'never' | 'on-failure';
  /** Attempts after the first; used with `on-failure`. */
  readonly maxAttempts: number;
  /** Re-queue the job when its worker is lost (independent of `mode`). */
  readonly requeueOnWorkerLoss: boolean;
}

/** The network shared by a job's tasks. */
export interface NetworkSpec {
  readonly name: string;
  /** `auto`: bridge on a single engine, overlay in swarm mode. */
  readonly driver: 'auto' | 'bridge' | 'overlay';
  readonly subnet: string | undefined;
}

/** A validated, normalised job. */
export interface JobSpec {
  readonly name: string;
  readonly format: JobFormat;
  readonly priority: number;
  readonly network: NetworkSpec;
  readonly restartPolicy: RestartPolicy;
  readonly tasks: readonly TaskSpec[];
  /**
   * The group the `spread` strategy keeps apart (one task per worker while it can) and failed
   * starts are counted under; undefined means the job's name (see `spreadGroupOf`).
   */
  readonly spreadGroup?: string | undefined;
  /**
   * Set only on the replica jobs the leader starts for a service (never from a submission): which
   * service, and the generation of its spec the replica runs.
   */
  readonly service?: {
    readonly name: string;
    /** The replica's number (`svc-<name>-<replica>`). */
    readonly replica: number;
    readonly generation: number;
    readonly placement: 'spread' | 'pack';
  };
}

/** Defaults applied when a submission leaves a field out; one table, documented here. */
export const JOB_DEFAULTS = Object.freeze({
  priority: 0,
  restartPolicy: Object.freeze({
    mode: 'on-failure',
    maxAttempts: 3,
    requeueOnWorkerLoss: true,
  } as RestartPolicy),
  networkDriver: 'auto',
  /** Network name when none is given; the original's naming. */
  networkName: (job: string): string => `RESTfulSwarmNetwork_${job}`,
});
