import { Dealer } from 'zeromq';
import type { Logger } from '../core/log/logger.js';
import { decodeMessage, encodeMessage, type Message } from '../core/protocol/index.js';
import {
  clientSocketOptions,
  MAX_WORKER_MESSAGE_BYTES,
  type ClientLinkSecurity,
} from '../core/security/index.js';

/**
 * How long a closing socket may keep unsent messages. Small, so close() never hangs on an
 * unreachable peer; anything that mattered is retried (reports) or re-derived (join, heartbeat).
 */
const LINGER_MS = 100;

interface Outgoing {
  readonly key: string | undefined;
  frame: Buffer;
}

/**
 * One DEALER connection carrying protocol messages, with a small outbound queue in front of it.
 *
 * Why the queue: a zeromq v6 socket allows only one pending `send`, and with `immediate` set a
 * send waits while the peer is unreachable instead of piling copies into the socket's buffer.
 * Messages sent with a `key` replace a queued message with the same key (the latest heartbeat, a
 * report's newest resend), so a long outage queues at most one copy of each.
 */
export class DealerChannel {
  private readonly socket: Dealer;
  /** FIFO of unsent messages; `head` is the next to send (an index, so dequeuing is O(1)). */
  private queue: Outgoing[] = [];
  private head = 0;
  private readonly queuedByKey = new Map<string, Outgoing>();
  private pumping = false;
  private closed = false;
  private connected = false;

  /**
   * @param endpoint the peer's ROUTER address, e.g. `tcp://10.0.0.1:3100`
   * @param routingId this end's identity at the ROUTER (the worker id on the manager link)
   * @param security CurveZMQ keys; the routing id then becomes `routingId` with its proof
   * @param connectNow false: messages queue until {@link connect} (a peer that refuses unknown
   *   keys must not be reached before the key is enrolled: libzmq does not retry a refused
   *   handshake)
   */
  constructor(
    private readonly endpoint: string,
    private readonly logger: Logger,
    routingId?: string,
    security?: ClientLinkSecurity,
    connectNow = true,
  ) {
    if (security && !routingId) throw new Error('DealerChannel: a secured channel needs its principal');
    this.socket = new Dealer({
      linger: LINGER_MS,
      immediate: true,
      ...(routingId ? { routingId } : {}),
      ...(security && routingId
        ? { ...clientSocketOptions(security, routingId), maxMessageSize: MAX_WORKER_MESSAGE_BYTES }
        : {}),
    });
    if (connectNow) this.connect();
  }

  /** Connects (once; later calls do nothing). Queued messages go out when the connection is up. */
  connect(): void {
    if (this.connected || this.closed) return;
    this.connected = true;
    this.socket.connect(this.endpoint);
  }

  /** Queues a message; never throws. Undelivered messages are dropped at close. */
  send(message: Message, key?: string): void {
    if (this.closed) return;
    const frame = encodeMessage(message);
    const queued = key === undefined ? undefined : this.queuedByKey.get(key);
    if (queued) {
      queued.frame = frame;
      return;
    }
    const item: Outgoing = { key, frame };
    this.queue.push(item);
    if (key !== undefined) this.queuedByKey.set(key, item);
    void this.pump();
  }

  /**
   * Received messages, validated; invalid frames are logged and skipped. Ends when the channel
   * closes. Iterate once.
   */
  async *messages(): AsyncGenerator<Message> {
    try {
      for await (const frames of this.socket) {
        const frame = frames[frames.length - 1];
        const decoded = frame ? decodeMessage(frame) : { ok: false as const, error: 'empty message' };
        if (decoded.ok) yield decoded.message;
        else this.logger.warn({ error: decoded.error }, 'dropped an invalid message');
      }
    } catch (err) {
      if (!this.closed) throw err;
    }
  }

  /** Closes the socket; pending sends are abandoned. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.queuedByKey.clear();
    this.socket.close();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    while (!this.closed && this.head < this.queue.length) {
      const item = this.queue[this.head++] as Outgoing;
      if (item.key !== undefined) this.queuedByKey.delete(item.key);
      try {
        await this.socket.send(item.frame);
      } catch (err) {
        if (!this.closed) this.logger.error({ err }, 'send failed; message dropped');
      }
    }
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    this.pumping = false;
  }
}
