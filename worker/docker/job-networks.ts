import { setTimeout as delay } from 'node:timers/promises';
import type Docker from 'dockerode';
import { z } from 'zod';
import type { Logger } from '../../core/log/logger.js';
import { LABELS } from '../../core/model/index.js';
import type { TaskAssignment } from '../../core/protocol/index.js';
import type { ClusterScope } from './cluster-scope.js';
import { engineMessage, statusCodeOf, TaskStartError } from './docker-errors.js';
import { sweepUnusedJobNetworks } from './sweep-unused-job-networks.js';

type NetworkRequest = NonNullable<TaskAssignment['network']>;

/**
 * How long a create refused for an overlapping subnet waits for a racing creator's network of the
 * same name to be listed (the engine reserves the pool before the network is listed; tens of ms).
 */
const RACE_WAIT_MS = 2000;
const RACE_POLL_MS = 100;

/** Network modes that are the engine's own, never created or removed by a worker. */
const BUILT_IN = new Set(['', 'default', 'bridge', 'host', 'none']);

/**
 * Why a job may not use this network name at all: the engine's own networks, and `container:…`
 * (joining another container's network namespace).
 * @returns the reason, or undefined when the name may name a job network
 */
export function reservedNetworkProblem(name: string): string | undefined {
  if (BUILT_IN.has(name)) return `"${name}" is one of the engine's built-in networks`;
  if (name.startsWith('container:')) return "joining another container's network is not allowed";
  return undefined;
}

const networkInfoSchema = z.object({
  Labels: z.record(z.string(), z.string()).nullish(),
  IPAM: z.object({ Config: z.array(z.object({ Subnet: z.string().optional() })).nullish() }).nullish(),
});
type NetworkInfo = z.infer<typeof networkInfoSchema>;

const swarmInfoSchema = z.object({
  Swarm: z.object({ ControlAvailable: z.boolean().optional() }).partial().optional(),
});

/**
 * Job networks on one engine. A job's network is created on first use with the label
 * `rswarm.job=<job>` (a bridge, or an attachable overlay when asked for and this engine is a swarm
 * manager; with the job's subnet as its IPAM config when one is given) and reused when it exists
 * and carries that label; the engine's built-in networks and networks of other jobs (or not made
 * by RESTfulSwarm) are refused. It is removed, best effort, when this worker removes its
 * last container of the job, or when a start fails before its container exists; "in use" errors
 * are ignored because another agent on the same engine may still have containers on it. What an
 * agent that died mid-removal left behind is swept when a worker of the cluster starts.
 *
 * Networks carry the cluster id too (`rswarm.cluster`, see ClusterScope): a job network of
 * another cluster (or, for a worker with a cluster id, one made before cluster ids) is never
 * joined nor removed; when it holds the job's network name, this cluster's network is
 * `<name>.<cluster id>` instead, and the task keeps its plain container name as DNS alias there.
 */
export class JobNetworks {
  private readonly creating = new Map<string, Promise<string>>();
  private swarmManager: Promise<boolean> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly scope: ClusterScope,
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
    const reserved = reservedNetworkProblem(network.name);
    if (reserved)
      return Promise.reject(
        new TaskStartError(`network ${network.name} refused: ${reserved}`, { refusal: true }),
      );
    // Keyed by job too: two jobs naming one network must not share one creation.
    const key = `${job}\u0000${network.name}`;
    let pending = this.creating.get(key);
    if (!pending) {
      pending = this.create(network, job).finally(() => this.creating.delete(key));
      this.creating.set(key, pending);
    }
    return pending;
  }

  /** Removes `networkName` if it is the job's labelled network and this worker has no container of the job left. */
  async releaseIfUnused(networkName: string, job: string): Promise<void> {
    if (BUILT_IN.has(networkName) || networkName.startsWith('container:')) return;
    try {
      const left = await this.docker.listContainers({
        all: true,
        filters: { label: this.scope.containerFilters(`${LABELS.job}=${job}`) },
      });
      if (left.some((c) => this.scope.ownsCluster(c.Labels))) return;
      const net = this.docker.getNetwork(networkName);
      const info = (await net.inspect()) as { Labels?: Record<string, string> | null };
      // Not ours to remove: another job's, or another cluster's.
      if (info.Labels?.[LABELS.job] !== job || !this.scope.ownsCluster(info.Labels)) return;
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
   * Removes this cluster's job networks that nothing uses any more (see sweepUnusedJobNetworks),
   * except those being created here right now.
   * @returns how many networks were removed
   */
  sweep(): Promise<number> {
    return sweepUnusedJobNetworks(this.docker, this.scope, this.logger, (job) => this.isCreating(job));
  }

  private isCreating(job: string): boolean {
    for (const key of this.creating.keys()) if (key.startsWith(`${job}\u0000`)) return true;
    return false;
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
      Labels?: Record<string, string> | null;
    }[];
    return list
      .filter((n) => n.Name === name && !this.foreign(n.Labels))
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

  /**
   * A job network of another cluster: made by RESTfulSwarm (a job label) with another cluster id
   * (or none, for a worker with one). Networks without a job label are not foreign but refused by
   * `owned`, as before.
   */
  private foreign(labels: Readonly<Record<string, string>> | null | undefined): boolean {
    return labels?.[LABELS.job] !== undefined && !this.scope.ownsCluster(labels);
  }

  /** Whether another cluster's network holds `name` (the engine then finds it ambiguous for us). */
  private async heldByOther(name: string): Promise<boolean> {
    const list = (await this.docker.listNetworks({ filters: { name: [name] } })) as {
      Name: string;
      Labels?: Record<string, string> | null;
    }[];
    return list.some((n) => n.Name === name && this.foreign(n.Labels));
  }

  /** The job network's engine name: its own, unless another cluster's network holds it (see class doc). */
  private async engineName(name: string): Promise<string> {
    return (await this.heldByOther(name)) ? this.scope.ownName(name) : name;
  }

  private async create(asked: NetworkRequest, job: string, again = false): Promise<string> {
    let existing: string | undefined;
    let network = asked;
    try {
      network = { ...asked, name: await this.engineName(asked.name) };
      existing = await this.canonical(network.name);
    } catch (err) {
      throw new TaskStartError(`network ${network.name}: ${engineMessage(err)}`, { cause: err });
    }
    if (existing) return this.owned(existing, network, job);
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
        Labels: { [LABELS.job]: job, ...this.scope.clusterLabels() },
        ...(network.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: network.subnet }] } } : {}),
      });
      this.logger.info(
        { network: network.name, driver: overlay ? 'overlay' : 'bridge', job },
        'created the job network',
      );
    } catch (err) {
      // 409: created meanwhile by someone else; reuse it. With a fixed subnet the racing create
      // fails on the address pool instead ("overlaps"), possibly before the other creator's
      // network is listed: reuse it if it shows up shortly.
      const raced = statusCodeOf(err) === 409 || (network.subnet && (await this.appears(network.name)));
      if (!raced) {
        throw new TaskStartError(`could not create network ${network.name}: ${engineMessage(err)}`, {
          cause: err,
        });
      }
    }
    const id = await this.canonical(network.name);
    // Another cluster created this name at the same moment (the engine's duplicate check is racy, and
    // two networks of one name make the engine refuse both as ambiguous): give ours up, best effort,
    // and take our own name.
    if (!again && network.name === asked.name && (!id || (await this.heldByOther(network.name)))) {
      if (id)
        await this.docker
          .getNetwork(id)
          .remove()
          .catch(() => undefined);
      return this.create(asked, job, true);
    }
    if (!id) throw new TaskStartError(`network ${network.name} vanished right after it was created`);
    return this.owned(id, network, job);
  }

  /**
   * Checks that the existing network `id` was created for `job` (its `rswarm.job` label) and has
   * the requested subnet: a job never joins a network it does not own, and a subnet is never
   * silently ignored.
   * @returns id
   * @throws TaskStartError naming the network and why it is refused
   */
  private async owned(id: string, network: NetworkRequest, job: string): Promise<string> {
    let info: NetworkInfo;
    try {
      info = networkInfoSchema.parse(await this.docker.getNetwork(id).inspect());
    } catch (err) {
      throw new TaskStartError(`network ${network.name}: ${engineMessage(err)}`, { cause: err });
    }
    const owner = info.Labels?.[LABELS.job];
    if (owner !== job) {
      const whose = owner === undefined ? 'it was not created by RESTfulSwarm' : 'it belongs to another job';
      throw new TaskStartError(
        `network ${network.name} refused: a job may only join a network created for it, and ${whose}`,
        { refusal: true },
      );
    }
    const subnets = (info.IPAM?.Config ?? []).map((c) => c.Subnet);
    if (network.subnet && !subnets.includes(network.subnet)) {
      throw new TaskStartError(
        `network ${network.name} exists with subnet ${subnets.join(', ') || '(engine-assigned)'}, not the requested ${network.subnet}`,
        { refusal: true },
      );
    }
    return id;
  }

  /** Whether a network named `name` is listed within {@link RACE_WAIT_MS}. */
  private async appears(name: string): Promise<boolean> {
    for (let waited = 0; waited <= RACE_WAIT_MS; waited += RACE_POLL_MS) {
      if (await this.canonical(name).catch(() => undefined)) return true;
      await delay(RACE_POLL_MS);
    }
    return false;
  }

  private isSwarmManager(): Promise<boolean> {
    this.swarmManager ??= this.docker.info().then(
      (raw: unknown) => swarmInfoSchema.safeParse(raw).data?.Swarm?.ControlAvailable === true,
      () => false,
    );
    return this.swarmManager;
  }
}
