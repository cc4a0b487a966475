import Docker from 'dockerode';
import type { Clock } from '../core/clock/clock.js';
import { containerHardeningSchema, type ContainerHardening } from '../core/config/index.js';
import { permanentStartFailure } from '../core/job/start-failure.js';
import { componentLogger, type Logger } from '../core/log/logger.js';
import { LABELS } from '../core/model/index.js';
import { taskRefKey, type LogQuery, type TaskAssignment, type TaskRef } from '../core/protocol/index.js';
import {
  exitEvent,
  REASON_OOM,
  refFromLabels,
  runtimeEventOf,
  sameRef,
  type ContainerRuntime,
  type RuntimeEvent,
  type RuntimeEventListener,
  type RuntimeCommandOutcome,
  type RuntimeTask,
  type TaskLimits,
} from './container-runtime.js';
import { ContainerEvents, type ContainerEvent } from './docker/container-events.js';
import { readContainerLogs } from './docker/container-logs.js';
import { withHardening } from './docker/container-hardening.js';
import { imageDigestOf } from './docker/image-digest.js';
import { containerSpecOf } from './docker/container-spec.js';
import { engineMessage, ignoringAlreadyDone, isNotFound, TaskStartError } from './docker/docker-errors.js';
import { ClusterScope } from './docker/cluster-scope.js';
import { JobNetworks } from './docker/job-networks.js';
import { DockerTaskCommands } from './docker/task-commands.js';
import {
  DEFAULT_START_RETRY,
  startErrorKind,
  startRetryDelayMs,
  type StartRetryPolicy,
} from './start-retry.js';
import { resolveVolumes } from './docker/volume-paths.js';

/** Times a start is tried when the job network vanishes under it (see createAndStart). */
const NETWORK_RACE_RETRIES = 3;

/** Container states counted as running (paused or restarting containers still hold their booking). */
const RUNNING_STATES = new Set(['running', 'paused', 'restarting']);

/**
 * Cap of the recently-stopped refs (whose `die` is ignored) and of containers with a pending `oom`
 * event. Both only matter for the moments until the matching `die` arrives, so a bound of the
 * latest thousand keeps memory flat on a long-lived worker.
 */
const MAX_REMEMBERED = 1000;

/** Exit code of a process ended by SIGKILL (128 + 9): how an OOM kill looks from outside. */
const SIGKILL_EXIT_CODE = 137;

/**
 * How long a SIGKILL exit waits for a late `oom` event before it is reported as a plain exit 137.
 * Short: only SIGKILLed containers wait, and the event normally precedes the `die`.
 */
const OOM_GRACE_MS = 250;

/** Reason for a container found created but never started (the agent died in between). */
export const REASON_NEVER_STARTED = 'container was created but never started';

export interface DockerRuntimeOptions {
  readonly workerId: string;
  /**
   * The cluster id (core/security/cluster-id.ts): labels every container and network, and only
   * containers and networks with it are listed, adopted, reported, removed and pruned (with the
   * worker id for containers). "" or absent: only those without a cluster label.
   */
  readonly clusterId?: string;
  /** Engine address (`unix:///var/run/docker.sock`, `tcp://host:2375`); empty: dockerode's default. */
  readonly dockerHost?: string;
  /** A ready client instead of `dockerHost` (tests). */
  readonly docker?: Docker;
  /** Longest wait for pulling a missing image, in ms. */
  readonly pullTimeoutMs: number;
  /** Grace between SIGTERM and SIGKILL on stop, in s. */
  readonly stopTimeoutSeconds: number;
  /** How task containers are confined. @defaultValue the schema's defaults (hardened) */
  readonly hardening?: ContainerHardening;
  /** Retries of transient start errors. @defaultValue {@link DEFAULT_START_RETRY} */
  readonly startRetry?: StartRetryPolicy;
  /** Host directories volumes may resolve into (see resolveVolumes); none when absent. */
  readonly volumeAllowList?: readonly string[];
  /**
   * The address the gateway reaches this worker's published ports at, for ports bound to every
   * address. @defaultValue '127.0.0.1' (the gateway on the same host)
   */
  readonly advertiseAddress?: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A dockerode client for an engine address as written in configuration. */
export function dockerClientFor(host: string): Docker {
  if (host === '') return new Docker();
  const url = new URL(host);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol });
}

const rank = (s: RuntimeEvent['state']): number => (s === 'running' ? 1 : 2);

/**
 * The Docker implementation of {@link ContainerRuntime}. Containers carry the `rswarm.*` labels
 * (job, task, attempt, worker), so the worker's tasks are found again by label after a restart,
 * and state changes arrive as a push stream of engine events filtered on `rswarm.worker`
 * ({@link ContainerEvents}): `start` → running, `die` → inspect → finished, or failed with the
 * exit code or "killed: out of memory" (`oom` events back up the engine's OOMKilled flag).
 */
export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker' as const;
  private readonly listeners: RuntimeEventListener[] = [];
  /** Last state emitted per ref: events are emitted only forward, once each. */
  private readonly emitted = new Map<string, RuntimeEvent['state']>();
  private readonly stopped = new Set<string>();
  /** Containers with an `oom` event whose `die` has not been handled yet. */
  private readonly oomSeen = new Set<string>();
  private readonly pulls = new Map<string, Promise<void>>();
  /** Task ref → its image by digest, known from the start or adoption; carried by `running`. */
  private readonly digests = new Map<string, string>();
  private readonly closing = new AbortController();
  private readonly networks: JobNetworks;
  private readonly commands: DockerTaskCommands;
  private events: ContainerEvents | undefined;
  private readonly hardening: ContainerHardening;
  private readonly scope: ClusterScope;

  private constructor(
    private readonly docker: Docker,
    private readonly options: DockerRuntimeOptions,
    private readonly logger: Logger,
  ) {
    this.scope = new ClusterScope(options.workerId, options.clusterId ?? '');
    this.networks = new JobNetworks(docker, this.scope, logger);
    this.hardening = options.hardening ?? containerHardeningSchema.parse({});
    this.commands = new DockerTaskCommands(docker, async (ref) => {
      const running = (await this.containersOf(ref)).filter((c) => RUNNING_STATES.has(c.State));
      return running[0]?.Id;
    });
  }

  /**
   * Connects to the engine and subscribes to this worker's container events.
   * @throws when the engine does not answer
   */
  static async create(options: DockerRuntimeOptions): Promise<DockerRuntime> {
    const docker = options.docker ?? dockerClientFor(options.dockerHost ?? '');
    const logger = componentLogger(options.logger, 'docker-runtime');
    await docker.ping();
    const runtime = new DockerRuntime(docker, options, logger);
    runtime.events = await ContainerEvents.open(
      docker,
      {
        labels: runtime.scope.containerFilters(),
        onEvent: (e) => runtime.onContainerEvent(e),
        onReconnect: () => void runtime.resync(),
      },
      { clock: options.clock, logger },
    );
    return runtime;
  }

  /**
   * Starts one attempt. A permanent start error fails it at once, its reason marked permanent
   * (the JobManager then does not re-queue it); a transient one is tried again after an
   * exponential, capped backoff (see start-retry.ts), until the policy's attempts run out, the
   * task is stopped (`signal`) or the runtime closes.
   */
  async start(a: TaskAssignment, signal?: AbortSignal): Promise<void> {
    const ref: TaskRef = { job: a.job, task: a.task, attempt: a.attempt };
    this.stopped.delete(taskRefKey(ref));
    const policy = this.options.startRetry ?? DEFAULT_START_RETRY;
    for (let tried = 1; ; tried++) {
      try {
        const name = await this.adoptExisting(a, ref);
        if (name === undefined) return;
        this.rememberDigest(ref, await this.ensureImage(a.image));
        await this.createAndStart(a, name);
        this.emit({ ref, state: 'running', exitCode: null, reason: null });
        return;
      } catch (err) {
        if (this.closing.signal.aborted || signal?.aborted) return;
        const reason = err instanceof TaskStartError ? err.message : engineMessage(err);
        const kind = startErrorKind(err);
        if (kind === 'transient' && tried < policy.attempts) {
          const delayMs = startRetryDelayMs(policy, tried + 1);
          this.logger.info({ ref, reason, delayMs, tried }, 'task failed to start; retrying');
          const waits = signal ? AbortSignal.any([this.closing.signal, signal]) : this.closing.signal;
          const slept = await this.options.clock.sleep(delayMs, waits).then(
            () => true,
            () => false,
          );
          if (!slept) return; // stopped or closing: the agent already knows
          continue;
        }
        this.logger.warn({ ref, reason, kind, tried }, 'task failed to start');
        const reported = kind === 'permanent' ? permanentStartFailure(reason) : reason;
        this.emit({ ref, state: 'failed', exitCode: null, reason: reported });
        return;
      }
    }
  }

  /**
   * Creates and starts the container on the job network. Another agent on the same engine may
   * remove that network between `ensure` and the start (its last container of the job ended, e.g.
   * the previous attempt): the engine then answers "network … not found", and the network is
   * ensured again and the container recreated, a bounded number of times.
   */
  private async createAndStart(a: TaskAssignment, name: string): Promise<void> {
    // Resolved here, right before the create, and bound by real path (see resolveVolumes).
    const volumes = await resolveVolumes(a.volumes, this.options.volumeAllowList ?? []);
    for (let attempt = 1; ; attempt++) {
      const networkRef = a.network ? await this.networks.ensure(a.network, a.job) : undefined;
      let container: Docker.Container | undefined;
      try {
        const spec = containerSpecOf({ ...a, volumes }, this.options.workerId, networkRef, {
          clusterId: this.scope.clusterId,
          name,
        });
        container = await this.docker.createContainer(withHardening(spec, this.hardening));
        await container.start();
        return;
      } catch (err) {
        if (
          !a.network ||
          attempt >= NETWORK_RACE_RETRIES ||
          !/network .* not found/i.test(engineMessage(err))
        )
          throw err;
        this.logger.info(
          { job: a.job, task: a.task, network: a.network.name },
          'job network vanished; retrying',
        );
        if (container)
          await ignoringAlreadyDone(() => (container as Docker.Container).remove({ force: true }));
      }
    }
  }

  async stop(ref: TaskRef, beforeRemove?: () => Promise<void>): Promise<void> {
    this.rememberStop(taskRefKey(ref));
    const infos = await this.containersOf(ref);
    for (const info of infos) {
      const container = this.docker.getContainer(info.Id);
      await ignoringAlreadyDone(() => container.stop({ t: this.options.stopTimeoutSeconds }));
    }
    if (infos.length > 0) await beforeRemove?.();
    for (const info of infos) {
      await ignoringAlreadyDone(() => this.docker.getContainer(info.Id).remove({ force: true }));
      await this.networks.releaseIfUnused(info.HostConfig.NetworkMode, ref.job);
    }
    this.emitted.delete(taskRefKey(ref));
  }

  async remove(ref: TaskRef): Promise<void> {
    for (const info of await this.containersOf(ref)) {
      await ignoringAlreadyDone(() => this.docker.getContainer(info.Id).remove({ force: true }));
      await this.networks.releaseIfUnused(info.HostConfig.NetworkMode, ref.job);
    }
    this.emitted.delete(taskRefKey(ref));
  }

  async list(): Promise<RuntimeTask[]> {
    const infos = await this.docker.listContainers({
      all: true,
      filters: { label: this.scope.containerFilters() },
    });
    const tasks: RuntimeTask[] = [];
    for (const info of infos) {
      if (!this.scope.ownsContainer(info.Labels)) continue; // no cluster id: skip labelled ones
      const ref = refFromLabels(info.Labels);
      if (!ref || info.State === 'removing') continue;
      if (RUNNING_STATES.has(info.State)) {
        tasks.push({ ref, state: 'running', exitCode: null, reason: null });
      } else if (info.State === 'created') {
        tasks.push({ ref, state: 'exited', exitCode: null, reason: REASON_NEVER_STARTED });
      } else {
        const ended = await this.exitOf(info.Id, ref, undefined);
        if (ended) tasks.push({ ref, state: 'exited', exitCode: ended.exitCode, reason: ended.reason });
      }
    }
    return tasks;
  }

  update(ref: TaskRef, limits: TaskLimits): Promise<RuntimeCommandOutcome> {
    return this.commands.update(ref, limits);
  }

  endpoints(ref: TaskRef): Promise<RuntimeCommandOutcome> {
    return this.commands.endpoints(ref, this.options.advertiseAddress ?? '127.0.0.1');
  }

  checkpoint(ref: TaskRef, name: string): Promise<RuntimeCommandOutcome> {
    return this.commands.checkpoint(ref, name);
  }

  /** Reads the attempt's container output (running or exited), only this cluster's and worker's. */
  async logs(ref: TaskRef, query: LogQuery): Promise<RuntimeCommandOutcome> {
    try {
      const [info] = await this.containersOf(ref);
      if (!info) return { outcome: 'unknown-task', reason: `no container for ${taskRefKey(ref)}` };
      return { outcome: 'done', reason: null, logs: await readContainerLogs(this.docker, info.Id, query) };
    } catch (err) {
      if (isNotFound(err)) return { outcome: 'unknown-task', reason: engineMessage(err) };
      return { outcome: 'failed', reason: engineMessage(err) };
    }
  }

  onEvent(listener: RuntimeEventListener): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.events?.close();
  }

  /**
   * A container with the assignment's name exists: adopt it when it is this very attempt on this
   * worker and cluster (re-emitting its state, starting it if it was only created); a leftover of
   * another attempt of this cluster is removed so the name is free. A container of another cluster
   * (or one without a cluster label, made before cluster ids, when this worker has one) is never
   * touched: this cluster's container then takes the name `<name>.<cluster id>` (ClusterScope).
   * Both names are looked at, so the attempt is adopted under either.
   * @returns the engine name to create the container under, or undefined when adopted
   */
  private async adoptExisting(a: TaskAssignment, ref: TaskRef): Promise<string | undefined> {
    let free: string | undefined;
    for (const name of [a.containerName, this.scope.ownName(a.containerName)]) {
      const container = this.docker.getContainer(name);
      let info: Docker.ContainerInspectInfo;
      try {
        info = await container.inspect();
      } catch (err) {
        if (!isNotFound(err)) throw err;
        free ??= name;
        continue;
      }
      const labels = info.Config.Labels ?? {};
      if (!this.scope.ownsCluster(labels)) continue; // another cluster's: try our own name
      const owner = refFromLabels(labels);
      if (!owner || !sameRef(owner, ref) || labels[LABELS.worker] !== this.options.workerId) {
        this.logger.warn({ ref, container: name, owner }, 'removing a leftover container with this name');
        await ignoringAlreadyDone(() => container.remove({ force: true }));
        free ??= name;
        continue;
      }
      this.logger.info({ ref, status: info.State.Status }, 'adopting the existing container');
      this.rememberDigest(ref, await this.digestOfImage(info.Image, a.image));
      if (info.State.Status === 'created') {
        await container.start();
        this.emit({ ref, state: 'running', exitCode: null, reason: null });
      } else if (RUNNING_STATES.has(info.State.Status)) {
        this.emit({ ref, state: 'running', exitCode: null, reason: null });
      } else {
        this.emit(exitEvent(ref, info.State.ExitCode, info.State.OOMKilled));
      }
      return undefined;
    }
    if (free !== undefined) return free;
    throw new TaskStartError(
      `container names ${a.containerName} and ${this.scope.ownName(a.containerName)} are both held by other clusters' containers`,
    );
  }

  /**
   * Inspects the image; pulls it, within pullTimeoutMs, when missing. One pull per image at a time.
   * @returns the image by digest (image-digest.ts), when the engine tells
   */
  private async ensureImage(image: string): Promise<string | undefined> {
    try {
      return imageDigestOf(await this.docker.getImage(image).inspect(), image);
    } catch (err) {
      if (!isNotFound(err)) throw new TaskStartError(`image ${image}: ${engineMessage(err)}`, { cause: err });
    }
    let pull = this.pulls.get(image);
    if (!pull) {
      pull = this.pull(image).finally(() => this.pulls.delete(image));
      this.pulls.set(image, pull);
    }
    await pull;
    return this.digestOfImage(image, image);
  }

  /** `ref`'s image by digest, best effort (undefined when the engine does not answer). */
  private async digestOfImage(ref: string, asked: string): Promise<string | undefined> {
    try {
      return imageDigestOf(await this.docker.getImage(ref).inspect(), asked);
    } catch {
      return undefined;
    }
  }

  /** Keeps the digest a task's `running` event carries (bounded like the other memories). */
  private rememberDigest(ref: TaskRef, digest: string | undefined): void {
    const key = taskRefKey(ref);
    this.digests.delete(key);
    if (digest === undefined) return;
    this.digests.set(key, digest);
    if (this.digests.size > MAX_REMEMBERED) {
      const oldest = this.digests.keys().next().value;
      if (oldest !== undefined) this.digests.delete(oldest);
    }
  }

  private async pull(image: string): Promise<void> {
    this.logger.info({ image }, 'pulling a missing image');
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    // Rejects on timeout, or when the runtime closes; the race below settles on whichever is first.
    const deadline = new Promise<never>((_, reject) => {
      this.options.clock.sleep(this.options.pullTimeoutMs, abort.signal).then(
        () => reject(new Error(`pull timed out after ${this.options.pullTimeoutMs} ms`)),
        () => reject(new Error('the worker is closing')),
      );
    });
    deadline.catch(() => undefined); // handled by the race; this only marks the loser as handled
    const pulled = (async () => {
      const stream = await this.docker.pull(image, { abortSignal: abort.signal });
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())),
      );
    })();
    try {
      await Promise.race([pulled, deadline]);
    } catch (err) {
      throw new TaskStartError(
        `image ${image} is not present and could not be pulled: ${engineMessage(err)}`,
        {
          cause: err,
        },
      );
    } finally {
      abort.abort();
      this.closing.signal.removeEventListener('abort', onClose);
      pulled.catch(() => undefined); // the loser of the race settles later
    }
  }

  private onContainerEvent(e: ContainerEvent): void {
    if (!this.scope.ownsCluster(e.attributes)) return; // no cluster id: skip labelled ones
    const ref = refFromLabels(e.attributes);
    if (!ref || this.stopped.has(taskRefKey(ref))) return;
    if (e.action === 'start') {
      this.emit({ ref, state: 'running', exitCode: null, reason: null });
    } else if (e.action === 'oom') {
      this.rememberOom(e.containerId);
    } else {
      const reported = Number(e.attributes['exitCode']);
      void this.onDie(e.containerId, ref, Number.isInteger(reported) ? reported : undefined);
    }
  }

  /**
   * A container exited. The engine's `OOMKilled` flag can lose a race with the exit status (seen
   * on Docker 20.10 under load: exit 137, flag false), so an `oom` event for the container also
   * counts, and a SIGKILL exit without either waits {@link OOM_GRACE_MS} for a late `oom` event.
   */
  private async onDie(id: string, ref: TaskRef, eventExitCode: number | undefined): Promise<void> {
    let ended = await this.exitOf(id, ref, eventExitCode);
    if (ended?.exitCode === SIGKILL_EXIT_CODE && ended.reason !== REASON_OOM) {
      if (!this.oomSeen.has(id)) {
        await this.options.clock.sleep(OOM_GRACE_MS, this.closing.signal).catch(() => undefined);
      }
      if (this.oomSeen.has(id)) ended = exitEvent(ref, SIGKILL_EXIT_CODE, true);
    }
    this.oomSeen.delete(id);
    if (ended && !this.stopped.has(taskRefKey(ref))) this.emit(ended);
  }

  /**
   * How an exited container ended: inspect gives the exit code and whether the kernel's OOM
   * killer ended it; if the container is already gone, the code from the die event is used.
   */
  private async exitOf(
    id: string,
    ref: TaskRef,
    eventExitCode: number | undefined,
  ): Promise<RuntimeEvent | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return exitEvent(ref, info.State.ExitCode, info.State.OOMKilled);
    } catch (err) {
      if (eventExitCode !== undefined) return exitEvent(ref, eventExitCode);
      this.logger.warn({ ref, err: engineMessage(err) }, 'could not inspect an exited container');
      return undefined;
    }
  }

  /** After the event stream was reopened: re-emit every task's current state (duplicates are dropped). */
  private async resync(): Promise<void> {
    try {
      for (const t of await this.list()) {
        if (this.stopped.has(taskRefKey(t.ref))) continue;
        if (t.state === 'running') this.emit({ ref: t.ref, state: 'running', exitCode: null, reason: null });
        // A created container may be one start() is about to start: leave it to start().
        else if (t.reason !== REASON_NEVER_STARTED) this.emit(runtimeEventOf(t));
      }
    } catch (err) {
      this.logger.warn({ err: engineMessage(err) }, 'resynchronising after an event-stream gap failed');
    }
  }

  private async containersOf(ref: TaskRef): Promise<Docker.ContainerInfo[]> {
    const infos = await this.docker.listContainers({
      all: true,
      filters: {
        label: this.scope.containerFilters(
          `${LABELS.job}=${ref.job}`,
          `${LABELS.task}=${ref.task}`,
          `${LABELS.attempt}=${ref.attempt}`,
        ),
      },
    });
    return infos.filter((i) => this.scope.ownsCluster(i.Labels));
  }

  private rememberOom(containerId: string): void {
    this.oomSeen.add(containerId);
    if (this.oomSeen.size > MAX_REMEMBERED) {
      const oldest = this.oomSeen.values().next().value;
      if (oldest !== undefined) this.oomSeen.delete(oldest);
    }
  }

  private rememberStop(key: string): void {
    this.stopped.add(key);
    if (this.stopped.size > MAX_REMEMBERED) {
      const oldest = this.stopped.values().next().value;
      if (oldest !== undefined) this.stopped.delete(oldest);
    }
  }

  private emit(event: RuntimeEvent): void {
    if (this.closing.signal.aborted) return;
    const key = taskRefKey(event.ref);
    const previous = this.emitted.get(key);
    if (previous !== undefined && rank(event.state) <= rank(previous)) return;
    this.emitted.set(key, event.state);
    const digest = event.state === 'running' ? this.digests.get(key) : undefined;
    if (event.state !== 'running') this.digests.delete(key);
    const out = digest && !event.imageDigest ? { ...event, imageDigest: digest } : event;
    for (const l of this.listeners) l(out);
  }
}
