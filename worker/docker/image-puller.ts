import type Docker from 'dockerode';
import type { Clock } from '../../core/clock/clock.js';
import type { Logger } from '../../core/log/logger.js';
import { engineMessage, isNotFound, TaskStartError } from './docker-errors.js';
import { imageDigestOf } from './image-digest.js';

/**
 * Makes sure a task's image is on the engine before its container is created: inspects it, and
 * pulls it when missing, within a time limit, one pull per image at a time (concurrent starts of
 * the same image wait for the same pull). Also answers an image's digest reference, which a
 * task's `running` event carries.
 */
export class ImagePuller {
  private readonly pulls = new Map<string, Promise<void>>();

  /**
   * @param pullTimeoutMs longest wait for pulling a missing image
   * @param closing aborted when the runtime closes: a pull under way is given up
   */
  constructor(
    private readonly docker: Docker,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly pullTimeoutMs: number,
    private readonly closing: AbortSignal,
  ) {}

  /**
   * Inspects the image; pulls it, within pullTimeoutMs, when missing. One pull per image at a time.
   * @returns the image by digest (image-digest.ts), when the engine tells
   * @throws TaskStartError when the image cannot be inspected or pulled
   */
  async ensure(image: string): Promise<string | undefined> {
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
    return this.digestOf(image, image);
  }

  /** `ref`'s image by digest, best effort (undefined when the engine does not answer). */
  async digestOf(ref: string, asked: string): Promise<string | undefined> {
    try {
      return imageDigestOf(await this.docker.getImage(ref).inspect(), asked);
    } catch {
      return undefined;
    }
  }

  private async pull(image: string): Promise<void> {
    this.logger.info({ image }, 'pulling a missing image');
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    this.closing.addEventListener('abort', onClose, { once: true });
    // Rejects on timeout, or when the runtime closes; the race below settles on whichever is first.
    const deadline = new Promise<never>((_, reject) => {
      this.clock.sleep(this.pullTimeoutMs, abort.signal).then(
        () => reject(new Error(`pull timed out after ${this.pullTimeoutMs} ms`)),
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
      this.closing.removeEventListener('abort', onClose);
      pulled.catch(() => undefined); // the loser of the race settles later
    }
  }
}
