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

  /**
   * The running task's published ports, from the engine (`docker port`): Docker picked the host
   * ports (`hostPort: 0`), so only the engine knows them. A port bound to every address answers
   * at `advertise`, the address other hosts reach this worker at.
   */
  async endpoints(ref: TaskRef, advertise: string): Promise<RuntimeCommandOutcome> {
    const id = await this.containerOf(ref);
    if (!id) return { outcome: 'unknown-task', reason: `no running container for ${refText(ref)}` };
    try {
      const info = await this.docker.getContainer(id).inspect();
      const ports = info.NetworkSettings.Ports ?? {};
      const endpoints = Object.entries(ports).flatMap(([containerPort, bindings]) =>
        (bindings ?? []).flatMap((b) => {
          const port = Number(b.HostPort);
          if (!Number.isInteger(port) || port < 1) return [];
          // One answer per container port: IPv4 first (Docker lists 0.0.0.0 and :: alike).
          if (b.HostIp.includes(':') && b.HostIp !== '') return [];
          const host = b.HostIp === '' || b.HostIp === '0.0.0.0' ? advertise : b.HostIp;
          return [{ containerPort, host, port }];
        }),
      );
      return { outcome: 'done', reason: null, endpoints };
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
