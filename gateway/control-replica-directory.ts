import type { ControlLink, ServiceState } from '../core/control-state/index.js';
import { isTerminalJobState } from '../core/job/job-state.js';
import type { JobRecord } from '../core/model/records.js';
import { REPLICA_TASK } from '../core/services/service-model.js';
import {
  NoCapacityError,
  type GatewayReplica,
  type GatewayService,
  type ReplicaDirectory,
} from '../core/services/replica-directory.js';
import type { WorkerCommandLink } from '../core/transport/worker-command-link.js';

/** Options of {@link ControlReplicaDirectory}. */
export interface ControlReplicaDirectoryOptions {
  /** Longest wait for a worker's `endpoints` answer. @defaultValue 2000 */
  readonly commandTimeoutMs?: number;
}

/**
 * The gateway's {@link ReplicaDirectory} on the real control plane: services and their replica
 * jobs from the leading JobManager (a `services` query over the control link), scaling as intents
 * to it, and where a running replica answers from its worker (the `endpoints` command through the
 * GlobalManager: Docker picked the host port, so only the worker's engine knows it). Addresses are
 * remembered per replica attempt, since they never change while it runs.
 */
export class ControlReplicaDirectory implements ReplicaDirectory {
  private readonly addresses = new Map<string, string>();

  constructor(
    private readonly control: ControlLink,
    private readonly commands: WorkerCommandLink,
    private readonly options: ControlReplicaDirectoryOptions = {},
  ) {}

  async service(name: string): Promise<GatewayService | undefined> {
    const [found] = await this.control.query({ kind: 'services', name });
    if (!found) return undefined;
    const s = found.record.spec;
    return {
      name: s.name,
      healthPath: s.healthPath,
      minReplicas: s.minReplicas,
      maxReplicas: s.maxReplicas,
      idleTimeoutMs: s.idleTimeoutMs,
      public: s.public,
      latency: s.latency,
    };
  }

  async replicas(service: string): Promise<readonly GatewayReplica[]> {
    const [found] = await this.control.query({ kind: 'services', name: service });
    if (!found) return [];
    const live = found.replicas.filter((j) => !j.cancelRequested && !isTerminalJobState(j.state));
    const keep = new Set(live.map(attemptKey));
    for (const key of this.addresses.keys())
      if (key.startsWith(`${service}/`) && !keep.has(key)) this.addresses.delete(key);
    return Promise.all(live.map((j) => this.replicaOf(found, j)));
  }

  async scaleUp(service: string, count: number): Promise<void> {
    const [found] = await this.control.query({ kind: 'services', name: service });
    if (!found) throw new NoCapacityError(`no service named "${service}"`, 5);
    const live = found.replicas.filter((j) => !j.cancelRequested && !isTerminalJobState(j.state)).length;
    if (count > found.record.spec.maxReplicas && live >= found.record.spec.maxReplicas)
      throw new NoCapacityError(
        `service "${service}" runs its maximum of ${found.record.spec.maxReplicas} replicas`,
        5,
      );
    const out = await this.control.propose({
      kind: 'service-scale',
      name: service,
      mode: 'at-least',
      replicas: count,
    });
    if (!out.ok) throw new NoCapacityError(out.reason, 5);
  }

  async release(service: string, replica: string): Promise<void> {
    await this.control.propose({
      kind: 'service-scale',
      name: service,
      mode: 'release',
      replicas: 0,
      replica,
    });
  }

  private async replicaOf(found: ServiceState, j: JobRecord): Promise<GatewayReplica> {
    const task = j.tasks[0];
    const state = j.state === 'running' ? 'running' : j.state === 'waiting' ? 'waiting' : 'starting';
    const base = { id: j.name, state, unplacedReason: j.unplacedReason } as const;
    if (state !== 'running' || !task?.workerId) return { ...base, address: null };
    const key = attemptKey(j);
    let address = this.addresses.get(key);
    if (address === undefined) {
      const answer = await this.commands.request(
        task.workerId,
        { kind: 'endpoints', task: { job: j.name, task: REPLICA_TASK, attempt: j.attempt } },
        this.options.commandTimeoutMs ?? 2000,
      );
      const wanted = `${found.record.spec.port}/tcp`;
      const e = answer.endpoints?.find((x) => x.containerPort === wanted);
      if (answer.outcome === 'done' && e) {
        address = `${e.host}:${e.port}`;
        this.addresses.set(key, address);
      }
    }
    return { ...base, address: address ?? null };
  }
}

/** `<service>/<job>#<attempt>`: an address holds for one attempt of one replica. */
function attemptKey(j: JobRecord): string {
  return `${j.spec.service?.name ?? ''}/${j.name}#${j.attempt}`;
}
