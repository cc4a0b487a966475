import type Docker from 'dockerode';
import type { TaskRef } from '../../core/protocol/index.js';
import { formatCpuset } from '../../core/job/index.js';
import type { RuntimeCommandOutcome, TaskLimits } from '../container-runtime.js';
import { engineMessage, isNotFound } from './docker-errors.js';

/**
 * Engine words that mean "this engine cannot checkpoint at all" rather than "this checkpoint
 * failed": experimental features off, no CRIU binary, CRIU refusing the kernel.
 */
const UNSUPPORTED_PATTERN =
  /experimental|criu|not supported|not implemented|checkpoint.*(unavailable|disabled)/i;

/** Why checkpoints cannot work on an engine that reports `ExperimentalBuild: false`. */
export const REASON_NOT_EXPERIMENTAL =
  'the Docker engine runs without experimental features; checkpoints need `"experimental": true` in daemon.json and CRIU on the host';

/**
 * `docker update` and `docker checkpoint create` for one worker's containers. Whether the engine
 * can checkpoint is learnt once (the engine's `ExperimentalBuild` flag, then the first checkpoint
 * call's error) and cached: once unsupported, later requests are answered without asking the
 * engine again, so an operator polling the route does not hammer CRIU.
 */
export class DockerTaskCommands {
  private unsupported: string | undefined;
  private experimentalChecked = false;

  constructor(
    private readonly docker: Docker,
    /** The running container of `ref` on this worker, or undefined. */
    private readonly containerOf: (ref: TaskRef) => Promise<string | undefined>,
  ) {}

  /** Sets CpusetCpus and (unless 0) Memory = MemorySwap, in place. */
  async update(ref: TaskRef, limits: TaskLimits): Promise<RuntimeCommandOutcome> {
    const id = await this.containerOf(ref);
    if (!id) return { outcome: 'unknown-task', reason: `no running container for ${refText(ref)}` };
    try {
      await this.docker.getContainer(id).update({
        CpusetCpus: formatCpuset(limits.coreIds),
        ...(limits.memoryBytes > 0 ? { Memory: limits.memoryBytes, MemorySwap: limits.memoryBytes } : {}),
      });
      return { outcome: 'done', reason: null };
    } catch (err) {
      if (isNotFound(err)) return { outcome: 'unknown-task', reason: engineMessage(err) };
      return { outcome: 'failed', reason: engineMessage(err) };
    }
  }

  /** Creates checkpoint `name` of the running task, leaving it running. */
  async checkpoint(ref: TaskRef, name: string): Promise<RuntimeCommandOutcome> {
    const known = await this.knownUnsupported();
    if (known) return { outcome: 'unsupported', reason: known };
    const id = await this.containerOf(ref);
    if (!id) return { outcome: 'unknown-task', reason: `no running container for ${refText(ref)}` };
    try {
      // dockerode has the call (POST /containers/{id}/checkpoints) but its typings lack it.
      const container = this.docker.getContainer(id) as Docker.Container & CheckpointCapable;
      await container.createCheckpoint({ CheckpointID: name, Exit: false });
      return { outcome: 'done', reason: null };
    } catch (err) {
      const reason = engineMessage(err);
      if (UNSUPPORTED_PATTERN.test(reason)) {
        this.unsupported = `the engine cannot checkpoint: ${reason}`;
        return { outcome: 'unsupported', reason: this.unsupported };
      }
      return { outcome: 'failed', reason };
    }
  }

  private async knownUnsupported(): Promise<string | undefined> {
    if (this.unsupported || this.experimentalChecked) return this.unsupported;
    try {
      const info = (await this.docker.info()) as { ExperimentalBuild?: boolean };
      this.experimentalChecked = true;
      if (info.ExperimentalBuild === false) this.unsupported = REASON_NOT_EXPERIMENTAL;
    } catch {
      // The engine did not answer: decide on the next request, do not cache a guess.
    }
    return this.unsupported;
  }
}

interface CheckpointCapable {
  createCheckpoint(options: { CheckpointID: string; Exit: boolean }): Promise<unknown>;
}

function refText(ref: TaskRef): string {
  return `${ref.job}/${ref.task}#${ref.attempt}`;
}
