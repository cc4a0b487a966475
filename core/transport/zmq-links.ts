import { randomUUID } from 'node:crypto';
import { Dealer } from 'zeromq';
import { encodeMessage } from '../protocol/codec.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { clientSocketOptions, controlPrincipal, type ClientLinkSecurity } from '../security/index.js';
import type { DispatchBody, DispatchLink } from './control-links.js';
import { SerialSender } from './serial-sender.js';

/** Milliseconds a closing socket may spend flushing queued messages. */
const LINGER_MS = 200;

/** {@link DispatchLink} over a ZeroMQ DEALER connected to the GlobalManager's ROUTER. */
export class ZmqDispatchLink implements DispatchLink {
  private readonly socket: Dealer;
  private readonly sender = new SerialSender();

  /** @param security the control plane's keys; absent, plaintext (tests) */
  constructor(endpoint: string, security?: ClientLinkSecurity) {
    this.socket = new Dealer({
      routingId: `control-${randomUUID()}`,
      linger: LINGER_MS,
      sendHighWaterMark: 100_000,
      ...(security ? clientSocketOptions(security, controlPrincipal('dispatch')) : {}),
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
