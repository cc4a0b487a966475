import { JOB_DEFAULTS, type JobSpec } from '../job/job-model.js';

/**
 * A long-running service (issue 12): replicas of one container that answer HTTP on `port`, reached
 * through the gateway at `/<name>/…`. Each replica is a one-task job the scheduler places like any
 * other (see {@link replicaJobSpec}); the leader keeps the count at `desired`.
 */
export interface ServiceSpec {
  /** A DNS label: the gateway's first path segment. */
  readonly name: string;
  readonly image: string;
  /** argv; undefined runs the image's default command. */
  readonly command: readonly string[] | undefined;
  readonly env: Readonly<Record<string, string>>;
  /** The container port that answers HTTP. */
  readonly port: number;
  /** Probed with GET for readiness and liveness. */
  readonly healthPath: string;
  readonly cores: number;
  readonly memoryBytes: number;
  /** 0 scales to zero. */
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** A replica above the minimum with no request for this long is stopped. */
  readonly idleTimeoutMs: number;
  /** Higher keeps capacity when the cluster is full. */
  readonly priority: number;
  /** Where replicas go: on workers without a replica of this service first, or packed. */
  readonly placement: 'spread' | 'pack';
  /** PhysarumSM's health tiers, in ms; absent: latency never demotes a replica. */
  readonly latency: { readonly softMs: number; readonly hardMs: number } | undefined;
  /** Served by the gateway without the API token. */
  readonly public: boolean;
  /** Demand-driven scaling (docs/design/services.md, "The autoscaler's control law"); absent: none. */
  readonly autoscale?: AutoscaleSpec | undefined;
  /**
   * Rolling replace, for a service no gateway reports readiness for: a new replica counts as ready
   * once it has run this long (absent: {@link SERVICE_DEFAULTS}.healthGraceMs).
   */
  readonly healthGraceMs?: number;
}

/** A service's autoscaling target and pacing. */
export interface AutoscaleSpec {
  /**
   * Load one replica should carry: `desired = ceil(load / target)`. Requests in flight (from the
   * gateways) without {@link AutoscaleSpec.queue}, items waiting in that queue with it.
   */
  readonly target: number;
  /**
   * The queue-length target: the load is the length of this Redis list or BullMQ queue, sampled
   * on the leader (job-manager/queue-load-sampler.ts), instead of the gateways' in-flight
   * requests. Absent: in-flight requests.
   */
  readonly queue?: QueueTarget | undefined;
  /** How often the law decides for this service. */
  readonly periodMs: number;
  /** Most replicas added or removed by one decision. */
  readonly maxStep: number;
  /** No scale-down within this long of the last change. */
  readonly coolDownMs: number;
  /** Consecutive periods that must want fewer replicas before a scale-down. */
  readonly downPeriods: number;
}

/** A queue whose length is a service's load: a Redis list (`LLEN`) or a BullMQ queue. */
export type QueueTarget =
  | {
      /** The key of a Redis list. */
      readonly redisList: string;
    }
  | {
      /** A BullMQ queue name (default `bull` prefix): its waiting, delayed and prioritized jobs. */
      readonly bullmqQueue: string;
    };

/** The autoscaler's memory of a service, kept in the control state so decisions replay exactly. */
export interface AutoscaleMemory {
  /** When the last `service-autoscale` decision was applied. */
  readonly lastDecisionAt: number;
  /** When a decision last changed the desired count (the cool-down runs from it). */
  readonly lastChangeAt: number;
  /** Consecutive decisions that wanted fewer replicas than desired. */
  readonly downStreak: number;
  /** The load the last decision saw. */
  readonly load: number;
}

/** A service as the control state holds it. */
export interface ServiceRecord {
  readonly spec: ServiceSpec;
  /** Replicas the leader keeps live, within [minReplicas, maxReplicas]. */
  readonly desired: number;
  /** Number of the next replica; replica jobs are `svc-<name>-<n>`, never reused. */
  readonly nextReplica: number;
  /** Changes with every new spec; replicas of an older generation are replaced one at a time. */
  readonly generation: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The autoscaler's memory (absent until its first decision, and in records made before it). */
  readonly autoscale?: AutoscaleMemory;
  /**
   * The image of the current generation by digest, pinned when its first replica ran with one
   * (`repo@sha256:…`, or an engine's image id `sha256:…` for an image built locally); new
   * replicas of this generation are created from it. Absent until then; a new definition
   * starts unpinned.
   */
  readonly imageDigest?: string;
}

/** Defaults of the optional fields, in one place. */
export const SERVICE_DEFAULTS = Object.freeze({
  healthPath: '/',
  cores: 1,
  memory: '64m',
  minReplicas: 0,
  maxReplicas: 4,
  idleTimeoutMs: 60_000,
  priority: 0,
  placement: 'spread' as const,
  public: false,
  // A replica that runs this long without a gateway saying otherwise is taken as ready: long
  // enough for a typical server to bind its port, short enough that a rollout is not slow.
  healthGraceMs: 10_000,
});

/** Defaults of `autoscale`'s optional fields, in one place. */
export const AUTOSCALE_DEFAULTS = Object.freeze({
  periodMs: 5_000,
  maxStep: 2,
  coolDownMs: 30_000,
  downPeriods: 3,
});

/** The replica jobs' name prefix of `service`. */
export function replicaPrefix(service: string): string {
  return `svc-${service}-`;
}

/** The name of replica number `n` of `service`. */
export function replicaJobName(service: string, n: number): string {
  return `${replicaPrefix(service)}${n}`;
}

/** Name of the task of every replica job. */
export const REPLICA_TASK = 'replica';

/**
 * The job that runs replica `n` of a service at `generation`. Its service port is published on a
 * port Docker picks (`hostPort: 0`), so no port is chosen by us and raced for. It is never
 * restarted or re-queued: when it ends the leader starts a new replica, under a new name. Its
 * image is the generation's pinned digest once there is one, so every replica of a generation
 * runs the same image even if its tag moves meanwhile.
 */
export function replicaJobSpec(record: ServiceRecord, n: number): JobSpec {
  const s = record.spec;
  const name = replicaJobName(s.name, n);
  return {
    name,
    format: 'native',
    priority: s.priority,
    network: { name: JOB_DEFAULTS.networkName(name), driver: 'auto', subnet: undefined },
    restartPolicy: { mode: 'never', maxAttempts: 0, requeueOnWorkerLoss: false },
    service: { name: s.name, replica: n, generation: record.generation, placement: s.placement },
    tasks: [
      {
        name: REPLICA_TASK,
        image: record.imageDigest ?? s.image,
        command: s.command,
        cores: s.cores,
        memoryBytes: s.memoryBytes,
        pin: undefined,
        ports: [{ containerPort: `${s.port}/tcp`, hostIp: '', hostPort: 0 }],
        volumes: [],
        env: s.env,
        runSeconds: undefined,
        deadline: undefined,
      },
    ],
  };
}
