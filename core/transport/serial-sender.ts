/**
 * Serialises sends on one ZeroMQ socket: zeromq.js refuses a send while another is in flight
 * ("Socket is busy writing"), and callers on independent paths must not have to coordinate.
 */
export class SerialSender {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `send` after every earlier send has settled; its failure is the caller's alone. */
  run(send: () => Promise<void>): Promise<void> {
    const next = this.tail.then(send, send);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every send queued so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}
