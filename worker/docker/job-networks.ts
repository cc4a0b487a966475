import type Docker from 'dockerode';
import { z } from 'zod';
import type { Logger } from '../../core/log/logger.js';
import { LABELS } from '../../core/model/index.js';
import type { TaskAssignment } from '../../core/protocol/index.js';
import { engineMessage, statusCodeOf, TaskStartError } from './docker-errors.js';

type NetworkRequest = NonNullable<TaskAssignment['network']>;

/** Network modes that are the engine's own, never created or removed by a worker. */
const BUILT_IN = new Set(['', 'default', 'bridge', 'host', 'none']);

const swarmInfoSchema = z.object({
  Swarm: z.object({ ControlAvailable: z.boolean().optional() }).partial().optional(),
});

/**
 * Job networks on one engine. A job's network is created on first use with the label
 * `rswarm.job=<job>` (a bridge, or an attachable overlay when asked for and this engine is a swarm
 * manager) and reused when it exists. It is removed, best effort, when this worker removes its
 * last container of the job; "in use" errors are ignored because another agent on the same
 * engine may still have containers on it.
 */
export class JobNetworks {
  private readonly creating = new Map<string, Promise<string>>();
  private swarmManager: Promise<boolean> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly workerId: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Makes sure the network exists (or will be resolved by the engine, for an overlay created by
   * a swarm manager elsewhere).
   * @returns the reference to attach containers to: the id of the canonical network, or the name
   *   for an overlay another manager owns
   * @throws TaskStartError with the engine's reason when it cannot be created
   */
  ensure(network: NetworkRequest, job: string): Promise<string> {
    let pending = this.creating.get(network.name);
    if (!pending) {
      pending = this.create(network, job).finally(() => this.creating.delete(network.name));
      this.creating.set(network.name, pending);
    }
    return pending;
  }

  /** Removes `networkName` if it is the job's labelled network and this worker has no container of the job left. */
  async releaseIfUnused(networkName: string, job: string): Promise<void> {
    if (BUILT_IN.has(networkName) || networkName.startsWith('container:')) return;
    try {
      const left = await this.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.job}=${job}`, `${LABELS.worker}=${this.workerId}`] },
      });
      if (left.length > 0) return;
      const net = this.docker.getNetwork(networkName);
      const info = (await net.inspect()) as { Labels?: Record<string, string> | null };
      if (info.Labels?.[LABELS.job] !== job) return; // not ours to remove
      await net.remove();
      this.logger.info({ network: networkName, job }, 'removed the job network');
    } catch (err) {
      // 404: already gone; 403/409: still has endpoints (another agent's containers).
      this.logger.debug(
        { network: networkName, status: statusCodeOf(err), err: engineMessage(err) },
        'job network kept',
      );
    }
  }

  /**
   * Networks with exactly this name, canonical first. The engine's duplicate check is racy (two
   * agents creating the same job network at once can both succeed), so every agent agrees on the
   * oldest one (ties: lowest id) and attaches by id; the extra copies are removed best effort.
   */
  private async byName(name: string): Promise<{ Id: string; Created: string }[]> {
    const list = (await this.docker.listNetworks({ filters: { name: [name] } })) as {
      Id: string;
      Name: string;
      Created?: string;
    }[];
    return list
      .filter((n) => n.Name === name)
      .map((n) => ({ Id: n.Id, Created: n.Created ?? '' }))
      .sort((a, b) => (a.Created === b.Created ? (a.Id < b.Id ? -1 : 1) : a.Created < b.Created ? -1 : 1));
  }

  private async canonical(name: string): Promise<string | undefined> {
    const [first, ...extra] = await this.byName(name);
    for (const n of extra) {
      await this.docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined); // in use by another agent's container: leave it
    }
    return first?.Id;
  }

  private async create(network: NetworkRequest, job: string): Promise<string> {
    let existing: string | undefined;
    try {
      existing = await this.canonical(network.name);
    } catch (err) {
      throw new TaskStartError(`network ${network.name}: ${engineMessage(err)}`, { cause: err });
    }
    if (existing) return existing;
    const manager = network.driver === 'bridge' ? false : await this.isSwarmManager();
    if (network.driver === 'overlay' && !manager) {
      // Only a manager can create an overlay; on a swarm worker the engine resolves an attachable
      // overlay created elsewhere when the container joins it, or fails the create with its reason.
      return network.name;
    }
    const overlay = manager && network.driver !== 'bridge';
    try {
      await this.docker.createNetwork({
        Name: network.name,
        Driver: overlay ? 'overlay' : 'bridge',
        ...(overlay ? { Attachable: true } : {}),
        CheckDuplicate: true,
        Labels: { [LABELS.job]: job },
      });
      this.logger.info(
        { network: network.name, driver: overlay ? 'overlay' : 'bridge', job },
        'created the job network',
      );
    } catch (err) {
      // 409: created meanwhile by someone else; reuse it.
      if (statusCodeOf(err) !== 409) {
        throw new TaskStartError(`could not create network ${network.name}: ${engineMessage(err)}`, {
          cause: err,
        });
      }
    }
    const id = await this.canonical(network.name);
    if (!id) throw new TaskStartError(`network ${network.name} vanished right after it was created`);
    return id;
  }

  private isSwarmManager(): Promise<boolean> {
    this.swarmManager ??= this.docker.info().then(
      (raw: unknown) => swarmInfoSchema.safeParse(raw).data?.Swarm?.ControlAvailable === true,
      () => false,
    );
    return this.swarmManager;
  }
}
