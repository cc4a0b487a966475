import Docker from 'dockerode';
import { containerHardeningSchema, type ContainerHardening } from '../core/config/index.js';
import { componentLogger, type Logger } from '../core/log/logger.js';
import { LABELS } from '../core/model/index.js';
import { taskRefKey, type LogQuery, type TaskAssignment, type TaskRef } from '../core/protocol/index.js';
import {
  refFromLabels,
  runtimeEventOf,
  type ContainerRuntime,
  type RuntimeEvent,
  type RuntimeEventListener,
  type RuntimeCommandOutcome,
  type RuntimeTask,
  type TaskLimits,
} from './container-runtime.js';
import { RUNNING_STATES } from './docker/adopt-existing.js';
import { ClusterScope } from './docker/cluster-scope.js';
import { ContainerEvents, type ContainerEvent } from './docker/container-events.js';
import { ContainerExits } from './docker/container-exits.js';
import { readContainerLogs } from './docker/container-logs.js';
import { engineMessage, ignoringAlreadyDone, isNotFound } from './docker/docker-errors.js';
import type { DockerRuntimeOptions } from './docker/docker-runtime-options.js';
import { ImagePuller } from './docker/image-puller.js';
import { JobNetworks } from './docker/job-networks.js';
import { MAX_REMEMBERED, RecentSet } from './docker/recent-set.js';
import { startWithRetry, type StartContext } from './docker/start-with-retry.js';
import { DockerTaskCommands } from './docker/task-commands.js';
import { DEFAULT_START_RETRY } from './start-retry.js';

/** Reason for a container found created but never started (the agent died in between). */
export const REASON_NEVER_STARTED = 'container was created but never started';

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
  /** Refs stopped recently: their `die` is not reported. */
  private readonly stopped = new RecentSet<string>();
  /** Task ref → its image by digest, known from the start or adoption; carried by `running`. */
  private readonly digests = new Map<string, string>();
  private readonly closing = new AbortController();
  private readonly images: ImagePuller;
  private readonly exits: ContainerExits;
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
    this.images = new ImagePuller(docker, options.clock, logger, options.pullTimeoutMs, this.closing.signal);
    this.exits = new ContainerExits(docker, options.clock, logger, this.closing.signal);
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
    // Networks a previous agent of this cluster left behind (it died mid-removal) hold address pools.
    await runtime.networks.sweep();
    return runtime;
  }

  /**
   * Starts one attempt, trying a transient start error again (see {@link startWithRetry}); its
   * outcome arrives as an event. `signal` aborts the retries when the task is stopped meanwhile.
   */
  async start(a: TaskAssignment, signal?: AbortSignal): Promise<void> {
    const ref: TaskRef = { job: a.job, task: a.task, attempt: a.attempt };
    this.stopped.delete(taskRefKey(ref));
    await startWithRetry(this.startContext(), a, ref, signal);
  }

  async stop(ref: TaskRef, beforeRemove?: () => Promise<void>): Promise<void> {
    this.stopped.add(taskRefKey(ref));
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
        const ended = await this.exits.exitOf(info.Id, ref, undefined);
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

  /** What {@link startWithRetry} needs of this runtime (adoption and creation included). */
  private startContext(): StartContext {
    return {
      docker: this.docker,
      scope: this.scope,
      workerId: this.options.workerId,
      logger: this.logger,
      images: this.images,
      networks: this.networks,
      hardening: this.hardening,
      volumeAllowList: this.options.volumeAllowList ?? [],
      policy: this.options.startRetry ?? DEFAULT_START_RETRY,
      clock: this.options.clock,
      closing: this.closing.signal,
      rememberDigest: (ref, digest) => this.rememberDigest(ref, digest),
      emit: (event) => this.emit(event),
    };
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

  private onContainerEvent(e: ContainerEvent): void {
    if (!this.scope.ownsCluster(e.attributes)) return; // no cluster id: skip labelled ones
    const ref = refFromLabels(e.attributes);
    if (!ref || this.stopped.has(taskRefKey(ref))) return;
    if (e.action === 'start') {
      this.emit({ ref, state: 'running', exitCode: null, reason: null });
    } else if (e.action === 'oom') {
      this.exits.oom(e.containerId);
    } else {
      const reported = Number(e.attributes['exitCode']);
      void this.onDie(e.containerId, ref, Number.isInteger(reported) ? reported : undefined);
    }
  }

  /** A container exited: reported unless its task was stopped meanwhile (see {@link ContainerExits.died}). */
  private async onDie(id: string, ref: TaskRef, eventExitCode: number | undefined): Promise<void> {
    const ended = await this.exits.died(id, ref, eventExitCode);
    if (ended && !this.stopped.has(taskRefKey(ref))) this.emit(ended);
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
