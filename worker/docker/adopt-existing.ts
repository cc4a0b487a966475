import type Docker from 'dockerode';
import type { Logger } from '../../core/log/logger.js';
import { LABELS } from '../../core/model/index.js';
import type { TaskAssignment, TaskRef } from '../../core/protocol/index.js';
import { exitEvent, refFromLabels, sameRef, type RuntimeEvent } from '../container-runtime.js';
import type { ClusterScope } from './cluster-scope.js';
import { ignoringAlreadyDone, isNotFound, TaskStartError } from './docker-errors.js';
import type { ImagePuller } from './image-puller.js';

/** Container states counted as running (paused or restarting containers still hold their booking). */
export const RUNNING_STATES = new Set(['running', 'paused', 'restarting']);

/** What adopting a container needs of the Docker runtime (passed in: this never imports it). */
export interface AdoptionContext {
  readonly docker: Docker;
  readonly scope: ClusterScope;
  readonly workerId: string;
  readonly logger: Logger;
  readonly images: ImagePuller;
  /** Keeps the digest the task's `running` event carries. */
  rememberDigest(ref: TaskRef, digest: string | undefined): void;
  /** Reports the adopted container's state. */
  emit(event: RuntimeEvent): void;
}

/**
 * A container with the assignment's name exists: adopt it when it is this very attempt on this
 * worker and cluster (re-emitting its state, starting it if it was only created); a leftover of
 * another attempt of this cluster is removed so the name is free. A container of another cluster
 * (or one without a cluster label, made before cluster ids, when this worker has one) is never
 * touched: this cluster's container then takes the name `<name>.<cluster id>` (ClusterScope).
 * Both names are looked at, so the attempt is adopted under either.
 * @returns the engine name to create the container under, or undefined when adopted
 * @throws TaskStartError when both names are held by other clusters' containers
 */
export async function adoptExisting(
  ctx: AdoptionContext,
  a: TaskAssignment,
  ref: TaskRef,
): Promise<string | undefined> {
  let free: string | undefined;
  for (const name of [a.containerName, ctx.scope.ownName(a.containerName)]) {
    const container = ctx.docker.getContainer(name);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await container.inspect();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      free ??= name;
      continue;
    }
    const labels = info.Config.Labels ?? {};
    if (!ctx.scope.ownsCluster(labels)) continue; // another cluster's: try our own name
    const owner = refFromLabels(labels);
    if (!owner || !sameRef(owner, ref) || labels[LABELS.worker] !== ctx.workerId) {
      ctx.logger.warn({ ref, container: name, owner }, 'removing a leftover container with this name');
      await ignoringAlreadyDone(() => container.remove({ force: true }));
      free ??= name;
      continue;
    }
    ctx.logger.info({ ref, status: info.State.Status }, 'adopting the existing container');
    ctx.rememberDigest(ref, await ctx.images.digestOf(info.Image, a.image));
    if (info.State.Status === 'created') {
      await container.start();
      ctx.emit({ ref, state: 'running', exitCode: null, reason: null });
    } else if (RUNNING_STATES.has(info.State.Status)) {
      ctx.emit({ ref, state: 'running', exitCode: null, reason: null });
    } else {
      ctx.emit(exitEvent(ref, info.State.ExitCode, info.State.OOMKilled));
    }
    return undefined;
  }
  if (free !== undefined) return free;
  throw new TaskStartError(
    `container names ${a.containerName} and ${ctx.scope.ownName(a.containerName)} are both held by other clusters' containers`,
  );
}
