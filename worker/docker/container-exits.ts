import type Docker from 'dockerode';
import type { Clock } from '../../core/clock/clock.js';
import type { Logger } from '../../core/log/logger.js';
import type { TaskRef } from '../../core/protocol/index.js';
import { exitEvent, REASON_OOM, type RuntimeEvent } from '../container-runtime.js';
import { engineMessage } from './docker-errors.js';
import { RecentSet } from './recent-set.js';

/** Exit code of a process ended by SIGKILL (128 + 9): how an OOM kill looks from outside. */
const SIGKILL_EXIT_CODE = 137;

/**
 * How long a SIGKILL exit waits for a late `oom` event (or flag) before it is reported as a plain
 * exit 137, looking every {@link OOM_POLL_MS}. Only SIGKILLed containers wait, and the event
 * normally precedes the `die`; on a loaded host it came more than 250 ms late (seen in CI).
 */
const OOM_GRACE_MS = 2000;
const OOM_POLL_MS = 100;

/**
 * How containers ended, as the Docker runtime reports it: the exit code, or "killed: out of
 * memory" when the kernel's OOM killer ended it. The engine's `OOMKilled` flag can lose a race
 * with the exit status (seen on Docker 20.10 under load: exit 137, flag false), so `oom` events
 * are remembered here until the container's `die` is handled.
 */
export class ContainerExits {
  /** Containers with an `oom` event whose `die` has not been handled yet. */
  private readonly oomSeen = new RecentSet<string>();

  /** @param closing aborted when the runtime closes: the wait for a late `oom` event ends */
  constructor(
    private readonly docker: Docker,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly closing: AbortSignal,
  ) {}

  /** The engine reported an `oom` event for the container. */
  oom(containerId: string): void {
    this.oomSeen.add(containerId);
  }

  /**
   * A container exited: how it ended. A SIGKILL exit without the OOM flag or an `oom` event waits
   * up to {@link OOM_GRACE_MS} for a late `oom` event or flag.
   * @param eventExitCode the exit code the `die` event carried, if any
   */
  async died(id: string, ref: TaskRef, eventExitCode: number | undefined): Promise<RuntimeEvent | undefined> {
    let ended = await this.exitOf(id, ref, eventExitCode);
    if (ended?.exitCode === SIGKILL_EXIT_CODE && ended.reason !== REASON_OOM) {
      for (let waited = 0; !this.oomSeen.has(id) && waited < OOM_GRACE_MS; waited += OOM_POLL_MS) {
        const slept = await this.clock.sleep(OOM_POLL_MS, this.closing).then(
          () => true,
          () => false,
        );
        if (!slept) break; // closing
        // The engine may set its flag late instead of sending the event late.
        if ((await this.exitOf(id, ref, eventExitCode))?.reason === REASON_OOM) this.oomSeen.add(id);
      }
      if (this.oomSeen.has(id)) ended = exitEvent(ref, SIGKILL_EXIT_CODE, true);
    }
    this.oomSeen.delete(id);
    return ended;
  }

  /**
   * How an exited container ended: inspect gives the exit code and whether the kernel's OOM
   * killer ended it; if the container is already gone, the code from the die event is used.
   */
  async exitOf(
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
}
