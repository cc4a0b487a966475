import { randomUUID } from 'node:crypto';
import { Dealer, Pull, Push } from 'zeromq';
import { encodeMessage, decodeMessage } from '../protocol/codec.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import type { Logger } from '../log/logger.js';
import type { DispatchBody, DispatchLink, NudgeLink, NudgeListener } from './control-links.js';
import { SerialSender } from './serial-sender.js';

/** Milliseconds a closing socket may spend flushing queued messages. */
const LINGER_MS = 200;

/** {@link DispatchLink} over a ZeroMQ DEALER connected to the GlobalManager's ROUTER. */
export class ZmqDispatchLink implements DispatchLink {
  private readonly socket: Dealer;
  private readonly sender = new SerialSender();

  constructor(endpoint: string) {
    this.socket = new Dealer({
      routingId: `control-${randomUUID()}`,
      linger: LINGER_MS,
      sendHighWaterMark: 100_000,
    });
    this.socket.connect(endpoint);
  }

  dispatch(body: DispatchBody): Promise<void> {
    const frame = encodeMessage({ type: 'dispatch', v: PROTOCOL_VERSION, ...body });
    return this.sender.run(() => this.socket.send(frame));
  }

  async close(): Promise<void> {
    await this.sender.drain();
    this.socket.close();
  }
}

/** {@link NudgeLink} over a ZeroMQ PUSH connected to the JobManager's PULL. */
export class ZmqNudgeLink implements NudgeLink {
  private readonly socket: Push;
  private readonly sender = new SerialSender();
  private pending = false;

  constructor(endpoint: string) {
    // sendTimeout 0: a nudge that cannot be queued at once is dropped, never awaited.
    this.socket = new Push({ linger: 0, sendTimeout: 0, sendHighWaterMark: 16 });
    this.socket.connect(endpoint);
  }

  nudge(reason: string): void {
    // Nudges are idempotent hints: while one is being sent, more add nothing.
    if (this.pending) return;
    this.pending = true;
    const frame = encodeMessage({ type: 'nudge', v: PROTOCOL_VERSION, reason });
    void this.sender
      .run(() => this.socket.send(frame))
      .catch(() => undefined)
      .finally(() => {
        this.pending = false;
      });
  }

  async close(): Promise<void> {
    await this.sender.drain();
    this.socket.close();
  }
}

/** {@link NudgeListener} over a ZeroMQ PULL bound at the JobManager's endpoint. */
export class ZmqNudgeListener implements NudgeListener {
  private readonly socket = new Pull({ linger: 0 });
  private readonly listeners: ((reason: string) => void)[] = [];
  private loop: Promise<void> | undefined;

  private constructor(private readonly logger: Logger) {}

  /** Binds `endpoint` and starts receiving. */
  static async bind(endpoint: string, logger: Logger): Promise<ZmqNudgeListener> {
    const l = new ZmqNudgeListener(logger);
    await l.socket.bind(endpoint);
    l.loop = l.receive();
    return l;
  }

  private async receive(): Promise<void> {
    try {
      for await (const [frame] of this.socket) {
        const d = decodeMessage(frame as Buffer);
        if (!d.ok || d.message.type !== 'nudge') {
          this.logger.warn(
            { error: d.ok ? `unexpected ${d.message.type}` : d.error },
            'dropped a control message',
          );
          continue;
        }
        for (const l of this.listeners) l(d.message.reason);
      }
    } catch (err) {
      if (!this.socket.closed) this.logger.error({ err }, 'nudge listener stopped');
    }
  }

  onNudge(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.loop;
  }
}
